"""Replies stored per update before they are sent, so that each update is answered once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import BotReply, utcnow

# The statements of every founder message, built once (building one and its cache key cost
# as much as running it).
_FOR_UPDATE = (select(BotReply)
               .where(BotReply.bot_id == bindparam("bot_id"),
                      BotReply.update_id == bindparam("update_id"))
               .order_by(BotReply.seq))
_INSERT = insert(BotReply)
_MARK_SENT = (update(BotReply)
              .where(BotReply.bot_id == bindparam("key_bot_id"),
                     BotReply.update_id == bindparam("key_update_id"),
                     BotReply.seq.in_(bindparam("seqs", expanding=True)),
                     BotReply.sent_at.is_(None))
              .values(sent_at=bindparam("now"))
              .execution_options(synchronize_session=False))


async def for_update(
    session: AsyncSession, update_id: int, *, bot_id: int = 0
) -> Sequence[BotReply]:
    """The replies already rendered for an update, in order (empty if none)."""
    return (await session.execute(
        _FOR_UPDATE, {"bot_id": bot_id, "update_id": update_id})).scalars().all()


async def store(
    session: AsyncSession,
    update_id: int,
    chat_id: int,
    replies: Sequence[tuple[str, dict[str, Any] | None]],
    *,
    bot_id: int = 0,
) -> int:
    """Store the rendered replies (text, keyboard as a dict) of an update; return how many
    (one INSERT for them all, no ORM objects: nothing reads them in this transaction)."""
    if not replies:
        return 0
    now = utcnow()
    await session.execute(_INSERT, [
        {"bot_id": bot_id, "update_id": update_id, "seq": i, "chat_id": chat_id,
         "text": text, "markup": markup, "created_at": now}
        for i, (text, markup) in enumerate(replies)])
    return len(replies)


async def mark_sent(
    session: AsyncSession, update_id: int, seqs: Sequence[int], *, bot_id: int = 0
) -> None:
    """Record that these replies of an update reached Telegram (one statement)."""
    if not seqs:
        return
    await session.execute(_MARK_SENT, {"key_bot_id": bot_id, "key_update_id": update_id,
                                       "seqs": list(seqs), "now": utcnow()})
