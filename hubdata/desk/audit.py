"""The audit log: every desk action, allowed or refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk.results import Actor
from hubdata.models import AuditEntry

OK = "ok"
REFUSED = "refused"


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    ticket_id: int | None = None,
    outcome: str = OK,
    now: datetime,
    **detail: Any,
) -> AuditEntry:
    """Add one entry (in the caller's transaction)."""
    entry = AuditEntry(at=now, actor_id=actor.user_id, channel=actor.channel, action=action,
                       ticket_id=ticket_id, outcome=outcome, detail=detail)
    session.add(entry)
    return entry


async def entries(
    session: AsyncSession, *, ticket_id: int | None = None, limit: int = 200
) -> Sequence[AuditEntry]:
    """The latest entries, newest first (of one ticket, or all)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if ticket_id is not None:
        query = query.where(AuditEntry.ticket_id == ticket_id)
    return (await session.execute(query)).scalars().all()
