"""The adapter's inbox: every Telegram update is recorded before it is processed."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, delete, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import BotReply, IncomingUpdate, utcnow

logger = logging.getLogger(__name__)

PENDING = "pending"
DONE = "done"
RETRY = "retry"
FAILED = "failed"
MAX_RETRY_AGE = timedelta(hours=24)  # a message not answerable within a day is given up
BACKOFF_FACTOR_CAP = 8  # retries wait interval, 2x, 4x, 8x, 8x, ...
# Telegram retries an unconfirmed update for minutes, not days: an id seen longer ago than
# this is a new message (ids restart with a new token, a restored backup, a quiet week).
DEDUP_WINDOW = timedelta(days=1)


# The statements of every update, built once: building a statement and its cache key cost as
# much as running it (the adapter's profile at 30 messages a second).
_RECORD = {
    name: dialect.insert(IncomingUpdate).on_conflict_do_nothing(
        index_elements=["bot_id", "update_id"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_DONE = (update(IncomingUpdate)
         .where(IncomingUpdate.bot_id == bindparam("key_bot_id"),
                IncomingUpdate.update_id == bindparam("key_update_id"))
         .values(status=DONE, error=bindparam("new_error"),
                 finished_at=bindparam("new_finished_at"), payload=null())
         .execution_options(synchronize_session=False))
_EARLIER_PENDING = (
    select(IncomingUpdate)
    .where(IncomingUpdate.bot_id == bindparam("bot_id"),
           IncomingUpdate.chat_id == bindparam("chat_id"),
           IncomingUpdate.status.in_((PENDING, RETRY)),
           IncomingUpdate.update_id < bindparam("before"),
           IncomingUpdate.received_at >= bindparam("cutoff"))
    .order_by(IncomingUpdate.update_id)
)


def bot_id_from_token(token: str) -> int:
    """The bot's id: the number before the colon of its token (0 if the token has none)."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def dedup_cutoff(now: datetime | None = None) -> datetime:
    """Updates received before this are no longer compared with new ones."""
    return (now or utcnow()) - DEDUP_WINDOW


def _key(bot_id: int, update_id: int) -> tuple[int, int]:
    return (bot_id, update_id)


def fingerprint(payload: dict[str, Any]) -> str:
    """A digest of the update as received: Telegram resends an unconfirmed update unchanged,
    so the same id with another digest is another update (ids restart, a backup restored)."""
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _is_new(row: IncomingUpdate, digest: str) -> bool:
    """Whether an update with the id of ``row`` is another message that reuses the id."""
    if _aware(row.received_at) < dedup_cutoff():
        return True
    return row.fingerprint is not None and row.fingerprint != digest


async def _renew(session: AsyncSession, row: IncomingUpdate, chat_id: int | None,
                 payload: dict[str, Any], digest: str) -> None:
    """Another message reuses the id of ``row``: start the row afresh."""
    if row.status in (PENDING, RETRY):
        logger.warning("update id %s reused before its first update was finished",
                       row.update_id)
    await session.execute(delete(BotReply).where(BotReply.bot_id == row.bot_id,
                                                 BotReply.update_id == row.update_id))
    row.chat_id, row.payload, row.status, row.attempts = chat_id, payload, PENDING, 0
    row.fingerprint = digest
    row.error = row.retry_at = row.finished_at = None
    row.received_at = utcnow()


async def record(
    session: AsyncSession, update_id: int, chat_id: int | None, payload: dict[str, Any],
    *, bot_id: int = 0,
) -> IncomingUpdate | None:
    """Record an update. Return it, or None if it is a duplicate of one already done.

    A duplicate is the same bot's update, unchanged, received within ``DEDUP_WINDOW``; an id
    last seen before that, or seen with other content, is a new message (Telegram's ids
    restart with a new token, after a week without updates, or from a restored backup).
    """
    digest = fingerprint(payload)
    existing = await session.get(IncomingUpdate, _key(bot_id, update_id))
    if existing is not None:
        if _is_new(existing, digest):
            await _renew(session, existing, chat_id, payload, digest)
            return existing
        return None if existing.status == DONE else existing
    row = IncomingUpdate(bot_id=bot_id, update_id=update_id, chat_id=chat_id, payload=payload,
                         fingerprint=digest, status=PENDING)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another replica recorded it first
        return None
    return row


async def record_attempt(
    session: AsyncSession, update_id: int, chat_id: int | None, payload: dict[str, Any],
    *, bot_id: int = 0,
) -> int | None:
    """``record`` and ``start_attempt`` in one: a new update costs one INSERT.

    Returns:
        The attempt now starting (1 for a new update), or None for a duplicate of a done one.
    """
    statement = _RECORD.get(session.get_bind().dialect.name)
    if statement is not None:
        values = {"bot_id": bot_id, "update_id": update_id, "chat_id": chat_id,
                  "payload": payload, "fingerprint": fingerprint(payload), "status": PENDING,
                  "attempts": 1, "received_at": utcnow()}
        if (await session.execute(statement, values)).rowcount == 1:
            return 1
    row = await record(session, update_id, chat_id, payload, bot_id=bot_id)  # seen before
    if row is None:
        return None
    await start_attempt(session, update_id, bot_id=bot_id)
    return row.attempts


async def start_attempt(session: AsyncSession, update_id: int, *, bot_id: int = 0) -> None:
    """Count one processing attempt; the update is pending (in flight) until finished."""
    row = await session.get(IncomingUpdate, _key(bot_id, update_id))
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
    *,
    bot_id: int = 0,
) -> None:
    """Mark the update done, or failed for good, or for a retry with exponential backoff.

    A done update keeps only what deduplication needs: its payload (the founder's message)
    is dropped in the same statement.
    """
    if status == DONE:  # the common case: one UPDATE, nothing to read first
        await session.execute(_DONE, {"key_bot_id": bot_id, "key_update_id": update_id,
                                       "new_error": (error or "")[:300] or None,
                                       "new_finished_at": utcnow()})
        return
    row = await session.get(IncomingUpdate, _key(bot_id, update_id))
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


async def adopt(session: AsyncSession, bot_id: int) -> int:
    """Give this bot the unfinished updates recorded without a bot (bot id 0: from before
    updates were keyed by bot, or written by hand), unless it has the same id already."""
    if bot_id == 0:
        return 0
    taken = select(IncomingUpdate.update_id).where(IncomingUpdate.bot_id == bot_id) \
        .scalar_subquery()
    result = await session.execute(
        update(IncomingUpdate)
        .where(IncomingUpdate.bot_id == 0, IncomingUpdate.status.in_((PENDING, RETRY)),
               IncomingUpdate.update_id.not_in(taken))
        .values(bot_id=bot_id)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


async def unfinished(
    session: AsyncSession, statuses: Sequence[str] = (PENDING, RETRY), limit: int = 100,
    *, bot_id: int = 0,
) -> Sequence[IncomingUpdate]:
    """This bot's updates recorded but not done: left by a crash (pending), or waiting for
    Rasa (retry). Another bot's (an earlier token's) cannot be answered by this one."""
    query = (
        select(IncomingUpdate)
        .where(IncomingUpdate.bot_id == bot_id, IncomingUpdate.status.in_(tuple(statuses)),
               IncomingUpdate.payload.is_not(None))
        .order_by(IncomingUpdate.update_id)
    )
    now = utcnow()
    rows = (await session.execute(query)).scalars().all()
    due = [r for r in rows if r.status != RETRY or r.retry_at is None or _aware(r.retry_at) <= now]
    return due[:limit]


async def earlier_pending(
    session: AsyncSession, chat_id: int, before: int, *, bot_id: int = 0
) -> Sequence[IncomingUpdate]:
    """A chat's unfinished updates (pending, or waiting for a retry) older than ``before``
    and received within the window, oldest first."""
    return (await session.execute(_EARLIER_PENDING, {
        "bot_id": bot_id, "chat_id": chat_id, "before": before, "cutoff": dedup_cutoff(),
    })).scalars().all()


async def status_of(session: AsyncSession, update_id: int, *, bot_id: int = 0) -> str | None:
    """The status of an update, or None if it was never recorded."""
    row = await session.get(IncomingUpdate, _key(bot_id, update_id))
    return None if row is None else row.status
