"""Reading tickets: one by number, a founder's open or latest one, the staff queue (with
filters) and one's own tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk.clock import aware
from hubdata.models import OPEN_TICKET_STATUSES, PRIORITIES, TICKET_STATUSES, Ticket

AGE_FILTERS = {"1h": 60, "4h": 240, "24h": 1440, "3d": 4320}  # "older than", in minutes
MAX_ROWS = 500


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: statuses (default: the open ones), language, priority, age."""

    statuses: tuple[str, ...] = OPEN_TICKET_STATUSES
    language: str | None = None
    priority: str | None = None
    older_than: str | None = None  # a key of AGE_FILTERS

    @classmethod
    def parse(cls, status: str | None = None, language: str | None = None,
              priority: str | None = None, age: str | None = None) -> QueueFilter:
        """Build from form values; anything unknown means "no filter"."""
        if status == "all":
            statuses: tuple[str, ...] = TICKET_STATUSES
        elif status in TICKET_STATUSES:
            statuses = (status,)
        else:
            statuses = OPEN_TICKET_STATUSES
        return cls(statuses=statuses, language=language or None,
                   priority=priority if priority in PRIORITIES else None,
                   older_than=age if age in AGE_FILTERS else None)


def urgency_key(ticket: Ticket) -> tuple[int, datetime]:
    """Most pressing first: priority, then the oldest (re)opening."""
    rank = PRIORITIES.index(ticket.priority) if ticket.priority in PRIORITIES else 99
    return rank, aware(ticket.reopened_at or ticket.created_at)


async def get(session: AsyncSession, ticket_id: int) -> Ticket | None:
    """A ticket by number."""
    return await session.get(Ticket, ticket_id)


# Built once: read on every founder message, twice (building a statement and its cache key
# each time cost as much as running it).
_OPEN_FOR = (select(Ticket)
             .where(Ticket.founder_id == bindparam("founder_id"),
                    Ticket.status.in_(OPEN_TICKET_STATUSES))
             .order_by(Ticket.id.desc())
             .limit(1))


async def open_for(session: AsyncSession, founder_id: int) -> Ticket | None:
    """The founder's open ticket, if any (there is at most one)."""
    return (await session.execute(_OPEN_FOR, {"founder_id": founder_id})).scalars().first()


async def latest_for(session: AsyncSession, founder_id: int) -> Ticket | None:
    """The founder's most recent ticket, open or not."""
    query = select(Ticket).where(Ticket.founder_id == founder_id).order_by(Ticket.id.desc())
    return (await session.execute(query)).scalars().first()


async def queue(session: AsyncSession, now: datetime, wanted: QueueFilter | None = None,
                *, assignee_id: int | None = None) -> Sequence[Ticket]:
    """Tickets matching the filter, most pressing first."""
    wanted = wanted or QueueFilter()
    query = select(Ticket).where(Ticket.status.in_(wanted.statuses))
    if wanted.language:
        query = query.where(Ticket.language == wanted.language)
    if wanted.priority:
        query = query.where(Ticket.priority == wanted.priority)
    if wanted.older_than:
        query = query.where(Ticket.created_at <= now - timedelta(
            minutes=AGE_FILTERS[wanted.older_than]))
    if assignee_id is not None:
        query = query.where(Ticket.assignee_id == assignee_id)
    rows = (await session.execute(query.order_by(Ticket.id.desc()).limit(MAX_ROWS))).scalars()
    return sorted(rows, key=urgency_key)


async def mine(session: AsyncSession, staff_id: int, now: datetime) -> Sequence[Ticket]:
    """The open tickets a staff member holds."""
    return await queue(session, now, QueueFilter(statuses=("claimed",)), assignee_id=staff_id)
