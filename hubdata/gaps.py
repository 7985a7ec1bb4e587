"""Demand without supply: what founders asked for that the catalogue could not answer well.

Every search is stored with its ``supply`` ("none": nothing matched; "weak": only ``dated``
or ``example`` entries; "ok"). A gap is one kind of search (topic, country or region, sector,
funding type, stage) that ended "none" or "weak"; gaps are counted per ISO week and ranked by
how often founders hit them, which tells a hub which entries to add next.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import Search

KEY_FIELDS = ("topic", "country", "sector", "funding_type", "stage")


@dataclass
class Gap:
    """One kind of search that the catalogue does not answer well."""

    key: tuple[str | None, ...]  # the values of KEY_FIELDS
    total: int = 0
    none: int = 0  # searches that found nothing
    weak: int = 0  # searches that found only dated or example entries
    founders: set[int] = field(default_factory=set)
    weeks: Counter[str] = field(default_factory=Counter)  # ISO week ("2026-W49") -> searches

    @property
    def filters(self) -> dict[str, str]:
        """The key as filters, without the empty ones."""
        return {k: v for k, v in zip(KEY_FIELDS, self.key, strict=True) if v}


def week_of(moment: datetime | date) -> str:
    """The ISO week of a day, e.g. "2026-W49"."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_back(today: date, count: int) -> list[str]:
    """The last ``count`` ISO weeks up to ``today``, oldest first."""
    return [week_of(today - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


async def report(session: AsyncSession, since: datetime, limit: int = 20) -> list[Gap]:
    """The gaps of searches made since ``since``, most frequent first."""
    rows = (await session.execute(
        select(Search.user_id, Search.topic, Search.filters, Search.supply, Search.created_at)
        .where(Search.created_at >= since, Search.supply != "ok"))).all()
    gaps: dict[tuple[str | None, ...], Gap] = defaultdict(lambda: Gap(key=()))
    for user_id, topic, filters, supply, created_at in rows:
        filters = dict(filters or {})
        key = (topic, *(filters.get(k) for k in KEY_FIELDS[1:]))
        gap = gaps[key]
        gap.key = key
        gap.total += 1
        gap.none += supply == "none"
        gap.weak += supply == "weak"
        gap.founders.add(int(user_id))
        gap.weeks[week_of(created_at)] += 1
    ranked = sorted(gaps.values(), key=lambda g: (-len(g.founders), -g.total, str(g.key)))
    return ranked[:limit]
