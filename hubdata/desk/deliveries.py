"""What a ticket change queues for the people involved, and storing it in the outbox.

A message to the ticket's founder, the staff-group card brought up to date, the whole ticket
for the staff member who holds it, and the Rasa events that pause and resume the founder's
conversation; :func:`finish` writes a result's deliveries to the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import cards, outbox, staff
from hubdata.desk.guard import assignee_name
from hubdata.desk.results import Delivery, Result
from hubdata.models import Staff, Ticket
from hubdata.settings import Settings

PAUSE = {"event": "pause"}
RESUME = {"event": "resume"}
# Rasa's rules expect a user message to follow action_listen; a pause stops the turn before it.
LISTEN = {"event": "action", "name": "action_listen"}


async def staff_names(session: AsyncSession, ticket: Ticket) -> dict[int, str]:
    """Names of the staff who wrote on the ticket (for transcripts)."""
    ids = {int(m.staff_id) for m in ticket.messages if m.staff_id is not None}
    if ticket.assignee_id is not None:
        ids.add(int(ticket.assignee_id))
    if not ids:
        return {}
    rows = (await session.execute(select(Staff).where(Staff.user_id.in_(ids)))).scalars()
    return {int(m.user_id): str(m.name) for m in rows}


def founder_message(ticket: Ticket, msgid: str, buttons: list[list[cards.Button]] | None = None,
                    **params: Any) -> Delivery:
    """A message to the ticket's founder, in the ticket's language."""
    return outbox.telegram(int(ticket.founder_chat_id), cards.payload(
        ticket.language, [cards.text(msgid, **params)], buttons, audience="founder"), ticket.id)


async def card_edit(session: AsyncSession, settings: Settings, ticket: Ticket) -> list[Delivery]:
    """Bring the ticket's staff-group card up to date (if it was posted)."""
    if settings.staff_chat_id is None or ticket.announced_at is None:
        return []
    card = cards.group_card(ticket, settings.staff_language, await assignee_name(session, ticket),
                            edit=True)
    return [outbox.telegram(settings.staff_chat_id, card, ticket.id)]


async def private_card(session: AsyncSession, ticket: Ticket, member: Staff) -> Delivery:
    """The whole ticket, sent to the staff member who holds it."""
    card = cards.private_card(ticket, staff.interface_language(member), str(member.name),
                              await staff_names(session, ticket))
    return outbox.telegram(int(member.user_id), card, ticket.id)


async def finish(session: AsyncSession, result: Result, now: datetime) -> Result:
    """Store the result's deliveries in the outbox and flush the changes."""
    await outbox.add(session, result.deliveries, now)
    await session.flush()
    return result
