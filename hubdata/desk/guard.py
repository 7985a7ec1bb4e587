"""Who may act: every staff operation starts here, and every refusal is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, staff
from hubdata.desk.results import Actor, Notice, Result
from hubdata.models import Staff, Ticket


def refuse(
    session: AsyncSession,
    actor: Actor,
    action: str,
    msgid: str,
    *,
    now: datetime,
    ticket_id: int | None = None,
    lang: str | None = None,
    **params: Any,
) -> Result:
    """Audit a refusal and return it with the notice to show (nothing else changes)."""
    audit.record(session, actor, action, ticket_id=ticket_id, outcome=audit.REFUSED, now=now,
                 reason=msgid)
    return Result(ok=False, notice=Notice(msgid, params), ticket_id=ticket_id, lang=lang)


async def staff_and_ticket(
    session: AsyncSession, actor: Actor, action: str, ticket_id: int | None, *, now: datetime
) -> tuple[Staff | None, Ticket | None, Result | None]:
    """Check that ``actor`` is active staff and the ticket exists.

    Returns:
        The member, the ticket, and None; or a refusal as the third item.
    """
    member = await staff.active(session, actor.user_id)
    if member is None:
        return None, None, refuse(session, actor, action, "desk.not_staff", now=now,
                                  ticket_id=ticket_id)
    lang = staff.interface_language(member)
    in_range = ticket_id is not None and 0 < ticket_id < 2**31  # tickets.id is an INTEGER
    ticket = await session.get(Ticket, ticket_id) if in_range else None
    if ticket is None:
        return member, None, refuse(session, actor, action, "desk.no_such_ticket", now=now,
                                    ticket_id=None, lang=lang, ticket=ticket_id or "?")
    return member, ticket, None


async def assignee_name(session: AsyncSession, ticket: Ticket) -> str | None:
    """The name of the staff member holding the ticket, if any."""
    member = await staff.get(session, ticket.assignee_id)
    return None if member is None else str(member.name)
