"""The catalogue in the database, for ``resources import``, ``export`` and ``stale``.

``to_entry`` (a resource in the seed format) lives in ``hubdata.seed``, beside its inverse.

Repository functions: they take the caller's session and never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import seed
from hubdata.models import Resource


async def upsert(session: AsyncSession, entries: list[dict[str, Any]]) -> tuple[int, int]:
    """Add validated entries, replacing those with the same id; return (added, updated)."""
    added = updated = 0
    for entry in entries:
        existing = await session.get(Resource, entry["id"])
        if existing is None:
            added += 1
        else:
            updated += 1
            await session.delete(existing)
            await session.flush()
        session.add(seed.to_resource(entry))
    await session.flush()
    return added, updated


async def all_resources(session: AsyncSession) -> list[Resource]:
    """Every resource, by kind then id."""
    query = select(Resource).order_by(Resource.kind, Resource.id)
    return list((await session.execute(query)).scalars())


async def verified_before(session: AsyncSession, cutoff: date) -> list[Resource]:
    """Resources last verified before ``cutoff``, oldest first."""
    query = (select(Resource)
             .where(Resource.status != "retired",
                    (Resource.verified_on < cutoff) | Resource.verified_on.is_(None))
             .order_by(Resource.verified_on.is_not(None), Resource.verified_on, Resource.id))
    return list((await session.execute(query)).scalars())


def months_before(today: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
