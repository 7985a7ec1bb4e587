"""How long each kind of founders' data is kept, and the pruning that enforces it.

Run by the adapter's scheduled job (one replica at a time) and by ``emergebot db prune``. Each
kind has its own limit in days; the defaults are in the README. Nothing here imports Telegram
or Rasa: the tracker store is reached as the plain ``events`` table Rasa writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import MetaData, Table, and_, create_engine, delete, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.models import (
    BotReply,
    CallbackToken,
    IncomingUpdate,
    OutboxMessage,
    ResourceReport,
    Search,
    Ticket,
    TicketMessage,
    utcnow,
)
from hubdata.retention_policy import RetentionPolicy
from hubdata.settings import Settings
from hubdata.updates import DEDUP_WINDOW, DONE, FAILED

logger = logging.getLogger(__name__)


async def prune_database(
    session: AsyncSession, policy: RetentionPolicy, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete what is past its limit in the bot's database; return rows deleted per table."""
    now = now or utcnow()
    counts: dict[str, int] = {}

    async def remove(name: str, statement: object) -> None:
        result = await session.execute(
            statement.execution_options(synchronize_session=False))  # type: ignore[attr-defined]
        counts[name] = counts.get(name, 0) + int(result.rowcount or 0)

    updates_before = min(policy.cutoff(policy.update_log_days, now), now - DEDUP_WINDOW)
    await remove("incoming_updates", delete(IncomingUpdate).where(
        IncomingUpdate.status.in_((DONE, FAILED)), IncomingUpdate.received_at < updates_before))
    await remove("bot_replies", delete(BotReply).where(BotReply.created_at < updates_before))
    await remove("callback_tokens", delete(CallbackToken).where(CallbackToken.expires_at < now))
    outbox_before = policy.cutoff(policy.outbox_days, now)
    await remove("desk_outbox", delete(OutboxMessage).where(
        OutboxMessage.status != "pending",
        or_(OutboxMessage.sent_at < outbox_before,
            and_(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < outbox_before))))
    tickets_before = policy.cutoff(policy.resolved_tickets_days, now)
    old_tickets = select(Ticket.id).where(Ticket.status == "resolved",
                                          Ticket.resolved_at < tickets_before)
    await remove("ticket_messages", delete(TicketMessage).where(
        TicketMessage.ticket_id.in_(old_tickets)))
    await remove("tickets", delete(Ticket).where(Ticket.status == "resolved",
                                                 Ticket.resolved_at < tickets_before))
    await remove("searches", delete(Search).where(
        Search.created_at < policy.cutoff(policy.searches_days, now)))
    await remove("resource_reports", delete(ResourceReport).where(
        ResourceReport.status == "closed",
        ResourceReport.closed_at < policy.cutoff(policy.reports_days, now)))
    return counts


def prune_tracker_store(url: str, policy: RetentionPolicy, *, now: float | None = None) -> int:
    """Delete Rasa's tracker events older than the conversations' limit; return how many.

    ``url`` is a synchronous SQLAlchemy URL of the tracker store (SQLite or PostgreSQL).
    """
    cutoff = (now or time.time()) - policy.conversations_days * 86400
    engine = create_engine(url)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        events = Table("events", MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            return int(connection.execute(
                delete(events).where(events.c.timestamp < cutoff)).rowcount or 0)
    finally:
        engine.dispose()


def prune_inbox_state(path: Path, policy: RetentionPolicy, *, now: datetime | None = None
                      ) -> int:
    """Drop maintainers' inbox decisions older than the NLU inbox's limit; return how many."""
    if not path.exists():
        return 0
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("items", {})
    cutoff = policy.cutoff(policy.nlu_inbox_days, now or utcnow())
    kept = {key: item for key, item in items.items()
            if not item.get("at") or datetime.fromisoformat(item["at"]) >= cutoff}
    if len(kept) != len(items):
        data["items"] = kept
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)
    return len(items) - len(kept)


def prune_logs(directory: Path, policy: RetentionPolicy, *, now: float | None = None) -> int:
    """Delete log files not written to within the logs' limit; return how many."""
    if not directory.is_dir():
        return 0
    cutoff = (now or time.time()) - policy.logs_days * 86400
    removed = 0
    for path in directory.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            removed += 1
    return removed


def tracker_store_url(settings: Settings) -> str:
    """The tracker store as a synchronous SQLAlchemy URL (PostgreSQL, or Rasa's SQLite file)."""
    if settings.tracker_store_url:
        return settings.tracker_store_url.replace("+asyncpg", "")
    return f"sqlite:///{settings.tracker_store_db}"


async def prune_all(sessions: sessionmaker, settings: Settings) -> dict[str, int]:
    """Enforce the retention policy everywhere: the bot's database, Rasa's tracker store,
    the NLU inbox's decisions and the log files. Return what was deleted, per place."""
    policy = settings.retention
    async with transaction(sessions) as session:
        counts = await prune_database(session, policy)
    counts["tracker_events"] = await asyncio.to_thread(
        prune_tracker_store, tracker_store_url(settings), policy)
    counts["nlu_inbox_decisions"] = prune_inbox_state(settings.var_dir / "nlu-inbox.json",
                                                      policy)
    counts["log_files"] = prune_logs(settings.var_dir / "logs", policy)
    logger.info("pruned: %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "nothing")
    return counts
