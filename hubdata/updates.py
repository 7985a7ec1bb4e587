"""The adapter's inbox: every Telegram update is recorded before it is processed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import IncomingUpdate, utcnow

PENDING = "pending"
DONE = "done"
RETRY = "retry"
FAILED = "failed"
MAX_RETRY_AGE = timedelta(hours=24)  # a message not answerable within a day is given up
BACKOFF_FACTOR_CAP = 8  # retries wait interval, 2x, 4x, 8x, 8x, ...


async def record(
    session: AsyncSession, update_id: int, chat_id: int | None, payload: dict[str, Any]
) -> IncomingUpdate | None:
    """Record an update. Return it, or None if it is already done (a duplicate)."""
    existing = await session.get(IncomingUpdate, update_id)
    if existing is not None:
        return None if existing.status == DONE else existing
    row = IncomingUpdate(update_id=update_id, chat_id=chat_id, payload=payload, status=PENDING)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another replica recorded it first
        return None
    return row


async def record_attempt(
    session: AsyncSession, update_id: int, chat_id: int | None, payload: dict[str, Any]
) -> int | None:
    """``record`` and ``start_attempt`` in one: a new update costs one INSERT.

    Returns:
        The attempt now starting (1 for a new update), or None for a duplicate of a done one.
    """
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is not None:
        statement = insert(IncomingUpdate).values(
            update_id=update_id, chat_id=chat_id, payload=payload, status=PENDING, attempts=1,
            received_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["update_id"])
        if (await session.execute(statement)).rowcount == 1:
            return 1
    row = await record(session, update_id, chat_id, payload)  # recorded before (or no upsert)
    if row is None:
        return None
    await start_attempt(session, update_id)
    return row.attempts


async def start_attempt(session: AsyncSession, update_id: int) -> None:
    """Count one processing attempt; the update is pending (in flight) until finished."""
    row = await session.get(IncomingUpdate, update_id)
    if row is not None:
        row.attempts += 1
        row.status = PENDING


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


async def finish(
    session: AsyncSession,
    update_id: int,
    status: str = DONE,
    error: str | None = None,
    retry_interval_s: float = 10.0,
) -> None:
    """Mark the update done, or failed for good, or for a retry with exponential backoff."""
    if status == DONE:  # the common case: one UPDATE, nothing to read first
        await session.execute(
            update(IncomingUpdate)
            .where(IncomingUpdate.update_id == update_id)
            .values(status=DONE, error=(error or "")[:300] or None, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return
    row = await session.get(IncomingUpdate, update_id)
    if row is None:
        return
    now = utcnow()
    if status == RETRY and now - _aware(row.received_at) > MAX_RETRY_AGE:
        status = FAILED
    row.status = status
    row.error = (error or "")[:300] or None
    if status == RETRY:
        factor = min(2 ** max(row.attempts - 1, 0), BACKOFF_FACTOR_CAP)
        row.retry_at = now + timedelta(seconds=retry_interval_s * factor)
    row.finished_at = now if status in (DONE, FAILED) else None


async def unfinished(
    session: AsyncSession, statuses: Sequence[str] = (PENDING, RETRY), limit: int = 100
) -> Sequence[IncomingUpdate]:
    """Updates recorded but not done: left by a crash (pending), or waiting for Rasa (retry)."""
    query = (
        select(IncomingUpdate)
        .where(IncomingUpdate.status.in_(tuple(statuses)))
        .order_by(IncomingUpdate.update_id)
    )
    now = utcnow()
    rows = (await session.execute(query)).scalars().all()
    due = [r for r in rows if r.status != RETRY or r.retry_at is None or _aware(r.retry_at) <= now]
    return due[:limit]


async def earlier_pending(
    session: AsyncSession, chat_id: int, before: int
) -> Sequence[IncomingUpdate]:
    """A chat's unfinished updates (pending, or waiting for a retry) older than ``before``,
    oldest first."""
    query = (
        select(IncomingUpdate)
        .where(IncomingUpdate.chat_id == chat_id,
               IncomingUpdate.status.in_((PENDING, RETRY)),
               IncomingUpdate.update_id < before)
        .order_by(IncomingUpdate.update_id)
    )
    return (await session.execute(query)).scalars().all()


async def status_of(session: AsyncSession, update_id: int) -> str | None:
    """The status of an update, or None if it was never recorded."""
    row = await session.get(IncomingUpdate, update_id)
    return None if row is None else row.status
