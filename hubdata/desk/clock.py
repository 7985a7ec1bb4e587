"""Time for the desk: injected, so tests control it instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from hubdata.models import utcnow

Clock = Callable[[], datetime]
system_clock: Clock = utcnow


def aware(moment: datetime) -> datetime:
    """``moment`` with a timezone: SQLite returns naive datetimes, which are UTC here."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    return (aware(end) - aware(start)).total_seconds() / 60.0
