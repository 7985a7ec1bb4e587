"""The outbox: deliveries written with the change they report, sent by the Telegram adapter.

Any process may write (adapter, action server, console); the adapter delivers, in id order.
A row is claimed with a conditional update before it is sent, so two adapters never send the
same row. A row left "sending" by a crash is sent again after ``STALE_AFTER``: a message may
then arrive twice, but none is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk.clock import aware
from hubdata.desk.results import Delivery
from hubdata.models import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
TELEGRAM = "telegram"
RASA = "rasa"
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 12


def telegram(chat_id: int, payload: dict[str, Any], ticket_id: int | None = None) -> Delivery:
    """A Telegram message (or edit) for ``chat_id``; see bot/desk_render.py for the payload."""
    return Delivery(TELEGRAM, payload, chat_id=chat_id, ticket_id=ticket_id)


def rasa(founder_id: int, events: list[dict[str, Any]], ticket_id: int | None = None, *,
         keep_paused: bool = False) -> Delivery:
    """Events to append to the founder's Rasa conversation (``keep_paused``: pause it again if
    a new Rasa session unpaused it)."""
    return Delivery(RASA, {"events": events, "keep_paused": keep_paused},
                    conversation_id=str(founder_id), ticket_id=ticket_id)


async def add(session: AsyncSession, deliveries: Sequence[Delivery], now: datetime) -> None:
    """Store deliveries in the outbox (and note their row ids on them)."""
    rows = []
    for delivery in deliveries:
        row = OutboxMessage(ticket_id=delivery.ticket_id, target=delivery.target,
                            chat_id=delivery.chat_id, conversation_id=delivery.conversation_id,
                            payload=delivery.payload, status=PENDING, created_at=now)
        session.add(row)
        rows.append((delivery, row))
    if rows:
        await session.flush()
    for delivery, row in rows:
        delivery.outbox_id = row.id


_DUE = (select(OutboxMessage).where(OutboxMessage.status == PENDING)
        .order_by(OutboxMessage.id).limit(bindparam("limit")))
_DUE_FOR = (select(OutboxMessage)
            .where(OutboxMessage.status == PENDING,
                   OutboxMessage.conversation_id == bindparam("conversation_id"))
            .order_by(OutboxMessage.id).limit(bindparam("limit")))


async def due(session: AsyncSession, now: datetime, limit: int = 50,
              conversation_id: str | None = None) -> Sequence[OutboxMessage]:
    """Pending rows whose time has come, oldest first (optionally of one Rasa conversation).

    A row waiting for a retry holds back the later rows of its chat or conversation, so each
    recipient gets its messages in order.
    """
    query, values = _DUE, {"limit": limit * 4}
    if conversation_id is not None:  # asked on every founder message: a statement built once
        query, values = _DUE_FOR, {"limit": limit * 4, "conversation_id": conversation_id}
    rows = (await session.execute(query, values)).scalars()
    ready, held = [], set()
    for row in rows:
        key = recipient(row)
        if key in held:
            continue
        if row.retry_at is not None and aware(row.retry_at) > now:
            held.add(key)
            continue
        ready.append(row)
    return ready[:limit]


def recipient(row: OutboxMessage) -> tuple[str, str]:
    """Whom a row goes to: a Telegram chat or a Rasa conversation."""
    return (str(row.target), str(row.chat_id if row.target == TELEGRAM else row.conversation_id))


async def claim(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Take a pending row for sending; False if another sender took it first."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
        .values(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    return bool(result.rowcount)


async def finish(session: AsyncSession, row_id: int, now: datetime, *, ok: bool = True,
                 error: str | None = None, retry_in: timedelta | None = None) -> str:
    """Mark a claimed row sent, failed for good, or pending again after ``retry_in``."""
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return FAILED
    if ok:
        row.status, row.sent_at, row.error = SENT, now, None
    elif retry_in is not None and row.attempts < MAX_ATTEMPTS:
        row.status, row.retry_at, row.error = PENDING, now + retry_in, (error or "")[:300]
    else:
        row.status, row.error = FAILED, (error or "")[:300]
    return str(row.status)


async def requeue_stale(session: AsyncSession, now: datetime) -> int:
    """Put rows left "sending" by a crashed sender back in the queue; return how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - STALE_AFTER)
        .values(status=PENDING)
    )
    return int(result.rowcount or 0)


async def rows_of_ticket(session: AsyncSession, ticket_id: int) -> Sequence[OutboxMessage]:
    """Every outbox row of a ticket, in order (for tests and the console)."""
    query = select(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)
    return (await session.execute(query.order_by(OutboxMessage.id))).scalars().all()
