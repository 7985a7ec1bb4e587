"""Figures for the console's metrics page: volume by topic and language, time to first reply,
SLA breaches and ratings."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import sla
from hubdata.desk.clock import minutes_between
from hubdata.models import OPEN_TICKET_STATUSES, PRIORITIES, Ticket

NO_TOPIC = "none"


@dataclass
class Metrics:
    """What the metrics page shows."""

    total: int = 0
    open: int = 0
    resolved: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    first_reply_minutes: list[float] = field(default_factory=list)
    first_reply_by_priority: dict[str, list[float]] = field(default_factory=dict)
    first_response_breaches: int = 0
    resolution_breaches: int = 0
    ratings: dict[int, int] = field(default_factory=lambda: {n: 0 for n in range(1, 6)})

    @property
    def median_first_reply_minutes(self) -> float | None:
        """Median minutes from opening to the first staff reply (None without replies)."""
        return statistics.median(self.first_reply_minutes) if self.first_reply_minutes else None

    def median_first_reply_by_priority(self) -> dict[str, float]:
        """Median minutes to the first reply for each priority that had replies."""
        return {p: statistics.median(v) for p, v in self.first_reply_by_priority.items() if v}

    @property
    def rating_count(self) -> int:
        """How many tickets were rated."""
        return sum(self.ratings.values())

    @property
    def average_rating(self) -> float | None:
        """Mean rating (None without ratings)."""
        count = self.rating_count
        return sum(n * c for n, c in self.ratings.items()) / count if count else None


async def compute(session: AsyncSession, now: datetime, since: datetime | None = None) -> Metrics:
    """Figures over the tickets opened since ``since`` (all tickets if None)."""
    query = select(Ticket)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    tickets = (await session.execute(query)).scalars().all()
    out = Metrics(total=len(tickets))
    topics: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for ticket in tickets:
        topics[ticket.topic or NO_TOPIC] += 1
        languages[ticket.language] += 1
        if ticket.status in OPEN_TICKET_STATUSES:
            out.open += 1
        elif ticket.status == "resolved":
            out.resolved += 1
        if ticket.first_reply_at is not None:
            minutes = minutes_between(ticket.created_at, ticket.first_reply_at)
            out.first_reply_minutes.append(minutes)
            out.first_reply_by_priority.setdefault(ticket.priority, []).append(minutes)
        first_late, resolution_late = sla.breached(ticket, now)
        out.first_response_breaches += int(first_late)
        out.resolution_breaches += int(resolution_late)
        if ticket.rating in out.ratings:
            out.ratings[int(ticket.rating)] += 1
    out.first_reply_by_priority = {p: out.first_reply_by_priority[p] for p in PRIORITIES
                                   if p in out.first_reply_by_priority}
    out.by_topic = dict(topics.most_common())
    out.by_language = dict(languages.most_common())
    return out
