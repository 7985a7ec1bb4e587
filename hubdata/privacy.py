"""A founder's data: everything kept about them, exported (/mydata) or erased (/forget).

What is kept about a founder, by table: ``founders`` (profile), ``tickets`` and
``ticket_messages`` (escalations and their transcripts), ``audit_log`` (their requests and the
life of their tickets), ``desk_outbox`` (messages to or about them), ``incoming_updates`` and
``bot_replies`` (the update log), ``callback_tokens`` (their buttons), ``searches`` and
``resource_reports``; outside this database, Rasa's tracker store (their conversation, read
here as the plain ``events`` table) and Redis keys that name their chat. Erasure removes all of
it and leaves one audit entry that names no one: what was erased, counted, and through which
channel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import aiohttp
from sqlalchemy import MetaData, Table, create_engine, delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from hubdata import retention
from hubdata.db import transaction
from hubdata.desk import audit, cards, outbox
from hubdata.desk.results import Actor
from hubdata.models import (
    OPEN_TICKET_STATUSES,
    AuditEntry,
    Base,
    BotReply,
    CallbackToken,
    Founder,
    IncomingUpdate,
    OutboxMessage,
    ResourceReport,
    Search,
    Staff,
    Ticket,
    TicketMessage,
    utcnow,
)
from hubdata.settings import Settings

FORGET = "founder_forget"
FORGET_PATH = "/webhooks/emergebot/forget"  # nlu/channel.py


def _row(row: Base) -> dict[str, Any]:
    return {column.name: getattr(row, column.key)
            for column in row.__table__.columns}  # type: ignore[attr-defined]


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def as_json(data: dict[str, Any]) -> str:
    """The export as a readable JSON document."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


async def _ticket_ids(session: AsyncSession, user_id: int) -> list[int]:
    query = select(Ticket.id).where(Ticket.founder_id == user_id)
    return [int(i) for i in (await session.execute(query)).scalars()]


def _mine(user_id: int, ticket_ids: Sequence[int]) -> dict[type[Base], Any]:
    """Per table, the condition that selects the founder's rows (private chat id = user id)."""
    tickets = list(ticket_ids) or [-1]
    return {
        Founder: Founder.user_id == user_id,
        TicketMessage: TicketMessage.ticket_id.in_(tickets),
        Ticket: Ticket.founder_id == user_id,
        AuditEntry: or_(AuditEntry.actor_id == user_id, AuditEntry.ticket_id.in_(tickets)),
        OutboxMessage: or_(OutboxMessage.chat_id == user_id,
                           OutboxMessage.conversation_id == str(user_id),
                           OutboxMessage.ticket_id.in_(tickets)),
        IncomingUpdate: IncomingUpdate.chat_id == user_id,
        BotReply: BotReply.chat_id == user_id,
        CallbackToken: CallbackToken.chat_id == user_id,
        Search: Search.user_id == user_id,
        ResourceReport: ResourceReport.user_id == user_id,
    }


FOUNDER_DETAIL_ACTIONS = ("open", "mute", "unmute")  # audit entries naming a founder in detail


async def _audit_naming(session: AsyncSession, user_id: int) -> list[AuditEntry]:
    """Staff actions on the founder that name them in the entry's detail."""
    rows = (await session.execute(select(AuditEntry).where(
        AuditEntry.action.in_(FOUNDER_DETAIL_ACTIONS)))).scalars().all()
    return [row for row in rows if (row.detail or {}).get("founder") == user_id]


async def export(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything this database keeps about the founder, by table (rows as dicts)."""
    ticket_ids = await _ticket_ids(session, user_id)
    data: dict[str, Any] = {}
    for model, condition in _mine(user_id, ticket_ids).items():
        rows = (await session.execute(select(model).where(condition))).scalars().all()
        data[model.__tablename__] = [_row(row) for row in rows]  # type: ignore[attr-defined]
    data["audit_log"] += [_row(row) for row in await _audit_naming(session, user_id)]
    return data


async def export_document(sessions: sessionmaker, settings: Settings, user_id: int) -> str:
    """Everything kept about the founder, as the JSON document /mydata sends: this
    database's rows by table and, under ``conversation``, their events in Rasa's tracker
    store."""
    async with transaction(sessions) as session:
        data = await export(session, user_id)
    data["conversation"] = await asyncio.to_thread(
        tracker_events, retention.tracker_store_url(settings), str(user_id))
    return as_json(data)


def _closing_notes(ticket: Ticket, settings: Settings) -> list[Any]:
    """Tell staff that an open ticket was closed and erased, and blank its group card."""
    if settings.staff_chat_id is None:
        return []
    lang = settings.staff_language
    parts = [cards.text("desk.erased", ticket=ticket.id)]
    notes = [outbox.telegram(settings.staff_chat_id, cards.payload(lang, parts))]
    if ticket.card_message_id is not None:
        notes.append(outbox.telegram(settings.staff_chat_id, {
            "op": "edit_card", "ticket": ticket.id, "message_id": int(ticket.card_message_id),
            "lang": lang, "parts": parts, "buttons": []}))
    return notes


async def erase(session: AsyncSession, user_id: int, settings: Settings, actor: Actor, *,
                now: datetime) -> dict[str, int]:
    """Delete every row about the founder, in the caller's transaction; return the counts.

    Open tickets are closed first: staff are told in the group (with no detail about the
    founder) and the ticket's card there is blanked. The audit entry left behind holds only the
    counts.
    """
    ticket_ids = await _ticket_ids(session, user_id)
    open_tickets = (await session.execute(select(Ticket).where(
        Ticket.founder_id == user_id, Ticket.status.in_(OPEN_TICKET_STATUSES)))).scalars().all()
    notes = [note for ticket in open_tickets for note in _closing_notes(ticket, settings)]
    if ticket_ids:  # staff replying to one of them write to no one now
        await session.execute(update(Staff).where(Staff.current_ticket_id.in_(ticket_ids))
                              .values(current_ticket_id=None))
    counts: dict[str, int] = {}
    for model, condition in _mine(user_id, ticket_ids).items():
        result = await session.execute(delete(model).where(condition)
                                       .execution_options(synchronize_session=False))
        counts[model.__tablename__] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    naming = [int(row.id) for row in await _audit_naming(session, user_id)]
    if naming:
        result = await session.execute(delete(AuditEntry).where(AuditEntry.id.in_(naming))
                                       .execution_options(synchronize_session=False))
        counts["audit_log"] += int(result.rowcount or 0)
    await outbox.add(session, notes, now)
    audit.record(session, Actor(None, actor.channel) if actor.user_id == user_id else actor,
                 FORGET, now=now, rows=counts, open_tickets_closed=len(open_tickets))
    return counts


def _events(url: str) -> tuple[Any, Table | None]:
    engine = create_engine(url)
    if "events" not in inspect(engine).get_table_names():
        return engine, None
    return engine, Table("events", MetaData(), autoload_with=engine)


def tracker_events(url: str, sender_id: str) -> list[dict[str, Any]]:
    """The founder's conversation as Rasa stored it (every session), oldest first.

    ``url`` is a synchronous SQLAlchemy URL of the tracker store.
    """
    engine, events = _events(url)
    try:
        if events is None:
            return []
        with engine.connect() as connection:
            rows = connection.execute(select(events.c.data).where(
                events.c.sender_id == sender_id).order_by(events.c.id)).scalars().all()
        return [json.loads(row) for row in rows]
    finally:
        engine.dispose()


def delete_tracker_events(url: str, sender_id: str) -> int:
    """Delete the founder's conversation from the tracker store; return how many events.

    Used when Rasa is not running; a running Rasa is asked instead (nlu/channel.py), so that
    it also forgets what it remembers of the conversation.
    """
    engine, events = _events(url)
    try:
        if events is None:
            return 0
        with engine.begin() as connection:
            return int(connection.execute(
                delete(events).where(events.c.sender_id == sender_id)).rowcount or 0)
    finally:
        engine.dispose()


async def forget_redis_keys(redis_url: str | None, chat_id: int) -> int:
    """Delete the bot's Redis keys that name the founder's chat (locks, rate schedules)."""
    if not redis_url:
        return 0
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    removed = 0
    try:
        async for key in redis.scan_iter(match="emergebot*", count=500):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if str(chat_id) in name.split(":"):
                removed += int(await redis.delete(key))
    finally:
        await redis.close()
    return removed


class ErasureUnavailable(RuntimeError):
    """A running Rasa could not be asked to forget the conversation: nothing was erased."""


async def forget_conversation(settings: Settings, sender_id: str) -> int:
    """Erase the conversation from Rasa's tracker store; return how many events it held.

    Each running Rasa replica is asked (it also forgets what it remembers of the
    conversation); if none is listening, the tracker store is cleared directly.

    Raises:
        ErasureUnavailable: a replica is running but refused or failed.
    """
    headers = {"Authorization": f"Bearer {settings.rasa_token}"} if settings.rasa_token else {}
    deleted, listening = 0, 0
    timeout = aiohttp.ClientTimeout(total=settings.rasa_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as http:
        for base in settings.rasa_urls:
            try:
                async with http.post(base + FORGET_PATH, json={"sender": sender_id}) as answer:
                    if answer.status != 200:
                        raise ErasureUnavailable(f"Rasa at {base} answered HTTP {answer.status}")
                    deleted += int((await answer.json()).get("deleted") or 0)
                    listening += 1
            except aiohttp.ClientConnectorError:
                continue  # not running: nothing of the conversation is in its memory
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                raise ErasureUnavailable(f"Rasa at {base}: {type(error).__name__}") from error
    if not listening:
        deleted = await asyncio.to_thread(delete_tracker_events,
                                          retention.tracker_store_url(settings), sender_id)
    return deleted


async def forget_founder(sessions: sessionmaker, settings: Settings, user_id: int,
                         actor: Actor) -> dict[str, int]:
    """Erase the founder everywhere: Rasa's conversation first (if that fails, nothing else
    is touched), then this database in one transaction, then Redis. Return the counts."""
    events = await forget_conversation(settings, str(user_id))
    async with transaction(sessions) as session:
        counts = await erase(session, user_id, settings, actor, now=utcnow())
    counts["tracker_events"] = events
    counts["redis_keys"] = await forget_redis_keys(settings.redis_url, user_id)
    return counts
