"""Replies stored per update before they are sent, so that each update is answered once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import BotReply, utcnow


async def for_update(
    session: AsyncSession, update_id: int, *, bot_id: int = 0
) -> Sequence[BotReply]:
    """The replies already rendered for an update, in order (empty if none)."""
    query = (select(BotReply)
             .where(BotReply.bot_id == bot_id, BotReply.update_id == update_id)
             .order_by(BotReply.seq))
    return (await session.execute(query)).scalars().all()


async def store(
    session: AsyncSession,
    update_id: int,
    chat_id: int,
    replies: Sequence[tuple[str, dict[str, Any] | None]],
    *,
    bot_id: int = 0,
) -> list[BotReply]:
    """Store the rendered replies (text, keyboard as a dict) of an update."""
    rows = [BotReply(bot_id=bot_id, update_id=update_id, seq=i, chat_id=chat_id, text=text,
                     markup=markup)
            for i, (text, markup) in enumerate(replies)]
    session.add_all(rows)
    await session.flush()
    return rows


async def mark_sent(
    session: AsyncSession, update_id: int, seqs: Sequence[int], *, bot_id: int = 0
) -> None:
    """Record that these replies of an update reached Telegram (one statement)."""
    if not seqs:
        return
    await session.execute(
        update(BotReply)
        .where(BotReply.bot_id == bot_id, BotReply.update_id == update_id,
               BotReply.seq.in_(list(seqs)),
               BotReply.sent_at.is_(None))
        .values(sent_at=utcnow())
    )
