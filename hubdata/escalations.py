"""Founders' requests for a person. The staff desk (tickets) builds on these rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import Escalation

OPEN_STATUSES = ("waiting", "claimed", "reopened")


async def open_for(session: AsyncSession, user_id: int) -> Escalation | None:
    """The founder's open escalation, if any."""
    query = select(Escalation).where(
        Escalation.user_id == user_id, Escalation.status.in_(OPEN_STATUSES)
    )
    return (await session.execute(query)).scalars().first()


async def request(
    session: AsyncSession,
    user_id: int,
    language: str,
    reason: str,
    topic: str | None = None,
    last_message: str | None = None,
) -> tuple[Escalation, bool]:
    """Record a request for a person; one open per founder. Return it and whether it is new."""
    existing = await open_for(session, user_id)
    if existing is not None:
        return existing, False
    escalation = Escalation(
        user_id=user_id, language=language, reason=reason, topic=topic, last_message=last_message
    )
    session.add(escalation)
    await session.flush()
    return escalation, True
