"""Showing new and reopened tickets to staff: which tickets wait to be shown, the founder's
name on them, and the announcement itself (the conversation before the handoff and the
staff-group card). The Telegram adapter announces, since it knows the founder's Telegram name
and reads the conversation from Rasa's tracker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, cards, outbox, staff
from hubdata.desk.clock import aware
from hubdata.desk.deliveries import finish, private_card
from hubdata.desk.guard import assignee_name
from hubdata.desk.queries import get
from hubdata.desk.results import Actor, Result
from hubdata.desk.transcript import Line
from hubdata.models import OPEN_TICKET_STATUSES, Ticket, TicketMessage
from hubdata.settings import Settings


async def unannounced(session: AsyncSession, before: datetime | None = None, limit: int = 20
                      ) -> Sequence[Ticket]:
    """Open tickets not yet shown to staff (made by the action server or the console), opened
    or reopened before ``before`` if given."""
    query = (select(Ticket)
             .where(Ticket.announced_at.is_(None), Ticket.status.in_(OPEN_TICKET_STATUSES))
             .order_by(Ticket.id).limit(limit))
    rows = (await session.execute(query)).scalars().all()
    if before is None:
        return rows
    return [t for t in rows if aware(t.reopened_at or t.created_at) < before]


async def name_founder(session: AsyncSession, ticket_id: int, name: str) -> None:
    """Remember the founder's Telegram name on the ticket (the action server does not know it)."""
    await session.execute(update(Ticket).where(Ticket.id == ticket_id,
                                               Ticket.founder_name.is_(None))
                          .values(founder_name=name[:120])
                          .execution_options(synchronize_session=False))


async def announce(
    session: AsyncSession,
    settings: Settings,
    ticket_id: int,
    *,
    now: datetime,
    transcript: Sequence[Line] = (),
    founder_name: str | None = None,
) -> Result:
    """Show a new (or reopened) ticket to staff: store the conversation before the handoff and
    post the card to the staff group, mentioning the staff who speak the founder's language.
    Does nothing if the ticket was announced already."""
    ticket = await get(session, ticket_id)
    if ticket is None or ticket.announced_at is not None or not ticket.is_open:
        return Result(ok=True, ticket_id=ticket_id)
    if founder_name:
        ticket.founder_name = founder_name[:120]
    for line in transcript:
        ticket.messages.append(TicketMessage(author=line.author, text=line.text[:4000],
                                             before_handoff=True, created_at=line.at or now))
    ticket.announced_at = now
    result = Result(ok=True, ticket_id=ticket.id)
    if settings.staff_chat_id is not None:
        speakers = await staff.speakers_of(session, ticket.language)
        card = cards.group_card(ticket, settings.staff_language,
                                await assignee_name(session, ticket), speakers)
        result.deliveries.append(outbox.telegram(settings.staff_chat_id, card, ticket.id))
    member = await staff.active(session, ticket.assignee_id)
    if member is not None:  # opened by staff: the story goes to them at once
        result.deliveries.append(await private_card(session, ticket, member))
    audit.record(session, Actor.system(), "announce", ticket_id=ticket.id, now=now,
                 transcript_lines=len(transcript))
    return await finish(session, result, now)
