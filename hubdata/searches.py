"""Search results kept server-side so that the adapter can page them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import Search


async def add(
    session: AsyncSession,
    user_id: int,
    topic: str,
    filters: dict[str, Any],
    result_ids: Sequence[str],
    supply: str = "ok",
) -> int:
    """Store one search, its ranked result ids and what the catalogue had for it (see
    ``hubdata.catalog.supply``) in the session's transaction, and return its id: empty searches
    are stored too, as unmet demand."""
    result = await session.execute(insert(Search).values(
        user_id=user_id, topic=topic, filters=filters, result_ids=list(result_ids),
        supply=supply))
    return int(result.inserted_primary_key[0])


async def get(session: AsyncSession, search_id: int) -> Search | None:
    """Return a stored search, or None."""
    return await session.get(Search, search_id)
