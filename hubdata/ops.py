"""What the operations endpoints read from the database: readiness, backlog, tickets, SLA.

Each function takes a session factory and runs its own short transaction; they are called when
``/ready`` or ``/metrics`` is asked, never in the path of a founder's message.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.desk import sla
from hubdata.models import OPEN_TICKET_STATUSES, TICKET_STATUSES, IncomingUpdate, Ticket

READY_TIMEOUT_S = 3.0
RASA_READY_PATH = "/webhooks/emergebot/ready"  # nlu/channel.py: its one route without a token


async def database_ready(sessions: sessionmaker | None,
                         timeout_s: float = READY_TIMEOUT_S) -> str | None:
    """Why the database cannot serve (None: it answers ``SELECT 1`` within the timeout)."""
    if sessions is None:
        return "not opened yet"
    try:
        async with transaction(sessions) as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout_s)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return type(error).__name__
    return None


async def update_backlog(sessions: sessionmaker) -> dict[str, int]:
    """Recorded updates not done yet, by status (pending and retry)."""
    statuses = (update_log.PENDING, update_log.RETRY)
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(IncomingUpdate.status, func.count()).where(IncomingUpdate.status.in_(statuses))
            .group_by(IncomingUpdate.status))
        counts = dict(rows.all())
    return {status: int(counts.get(status, 0)) for status in statuses}


async def open_tickets(sessions: sessionmaker) -> dict[str, int]:
    """Open tickets by status (every open status appears, with 0 if none)."""
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Ticket.status, func.count()).where(Ticket.status.in_(OPEN_TICKET_STATUSES))
            .group_by(Ticket.status))
        counts = dict(rows.all())
    return {status: int(counts.get(status, 0)) for status in TICKET_STATUSES
            if status in OPEN_TICKET_STATUSES}


async def sla_breaches(sessions: sessionmaker, now: datetime | None = None) -> dict[str, int]:
    """Open tickets past their first-response and their resolution target now
    (as the console's metrics page judges them: ``hubdata.desk.sla.breached``)."""
    now = now or datetime.now(timezone.utc)
    out = {sla.FIRST_RESPONSE: 0, sla.RESOLUTION: 0}
    async with transaction(sessions) as session:
        tickets = (await session.execute(
            select(Ticket).where(Ticket.status.in_(OPEN_TICKET_STATUSES)))).scalars().all()
        for ticket in tickets:
            first_late, resolution_late = sla.breached(ticket, now)
            out[sla.FIRST_RESPONSE] += int(first_late)
            out[sla.RESOLUTION] += int(resolution_late)
    return out
