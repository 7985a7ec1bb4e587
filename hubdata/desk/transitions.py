"""The life of a ticket: its state transitions (requested, opened by staff, claimed, released,
reprioritised, resolved, reopened).

States and transitions: ``ticket_states.mmd`` next to this file. Every operation checks who
acts (:mod:`hubdata.desk.guard`), records itself in the audit log, and queues what the change
means for the people involved in the outbox, in the same transaction. Showing a ticket to
staff is :mod:`hubdata.desk.announcements`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import founders
from hubdata.desk import audit, cards, outbox, sla, staff
from hubdata.desk.clock import aware
from hubdata.desk.deliveries import (
    LISTEN,
    PAUSE,
    RESUME,
    card_edit,
    finish,
    founder_message,
    private_card,
)
from hubdata.desk.guard import assignee_name, refuse, staff_and_ticket
from hubdata.desk.queries import latest_for, open_for
from hubdata.desk.results import Actor, Delivery, Notice, Result
from hubdata.models import PRIORITIES, Staff, Ticket, TicketMessage
from hubdata.settings import Settings

CREATED = "created"
ALREADY_OPEN = "already_open"
REOPENED = "reopened"


def _open_clocks(ticket: Ticket, settings: Settings) -> None:
    ticket.alerts_sent = []
    sla.apply_due_times(ticket, settings)


# ----------------------------------------------------------------------------- requests
async def request_from_founder(
    session: AsyncSession,
    settings: Settings,
    *,
    founder_id: int,
    chat_id: int,
    language: str,
    reason: str,
    now: datetime,
    topic: str | None = None,
    entities: dict[str, str] | None = None,
    last_message: str | None = None,
) -> tuple[Ticket, str]:
    """A founder asks for a person: open a ticket, or reopen the last one, or find the open one.

    One open ticket per founder. A request within ``desk_reopen_window_h`` of the last ticket's
    resolution reopens it, so staff keep the story. The adapter announces the ticket to staff.

    Returns:
        The ticket and what happened: "created", "reopened" or "already_open".
    """
    actor = Actor(founder_id, "telegram")
    existing = await open_for(session, founder_id)
    if existing is not None:
        audit.record(session, actor, "request", ticket_id=existing.id, now=now, result=ALREADY_OPEN)
        return existing, ALREADY_OPEN
    latest = await latest_for(session, founder_id)
    window = timedelta(hours=settings.desk_reopen_window_h)
    if latest is not None and latest.resolved_at is not None and (
            aware(now) - aware(latest.resolved_at) <= window):
        _reopen(latest, settings, now)
        latest.reason, latest.language = reason, language
        if topic:
            latest.topic = topic
        audit.record(session, actor, "request", ticket_id=latest.id, now=now, result=REOPENED)
        await session.flush()
        return latest, REOPENED
    ticket = Ticket(founder_id=founder_id, founder_chat_id=chat_id, language=language,
                    topic=topic, entities=dict(entities or {}), reason=reason,
                    last_message=last_message, priority="normal", status="waiting",
                    created_at=now, alerts_sent=[])
    sla.apply_due_times(ticket, settings)
    session.add(ticket)
    await session.flush()
    audit.record(session, actor, "request", ticket_id=ticket.id, now=now, result=CREATED,
                 reason=reason)
    return ticket, CREATED


def _reopen(ticket: Ticket, settings: Settings, now: datetime) -> None:
    ticket.status, ticket.assignee_id = "reopened", None
    ticket.reopened_at, ticket.resolved_at, ticket.claimed_at = now, None, None
    ticket.rating, ticket.rated_at = None, None
    ticket.announced_at, ticket.card_message_id = None, None  # a fresh card in the group
    _open_clocks(ticket, settings)



async def open_for_founder(
    session: AsyncSession, settings: Settings, actor: Actor, founder_id: int, *, now: datetime,
    note: str | None = None,
) -> Result:
    """A staff member opens a ticket for a founder who has written to the bot before; it is
    theirs at once, the founder is told, and the bot's dialogue is paused."""
    member, _, refused = await staff_and_ticket(session, actor, "open", None, now=now)
    if member is None:
        assert refused is not None
        return refused
    lang = staff.interface_language(member)
    founder = await founders.get(session, founder_id)
    if founder is None or founder.chat_id is None:
        return refuse(session, actor, "open", "desk.founder_unknown", now=now, lang=lang,
                      founder=founder_id)
    existing = await open_for(session, founder_id)
    if existing is not None:
        return refuse(session, actor, "open", "desk.founder_has_ticket", now=now, lang=lang,
                      ticket_id=existing.id, ticket=existing.id)
    language = founders.reply_language(founder, None, founder.telegram_language)
    ticket = Ticket(founder_id=founder_id, founder_chat_id=founder.chat_id, language=language,
                    topic=None, entities={}, reason="staff", priority="normal",
                    status="claimed", assignee_id=member.user_id, opened_by=member.user_id,
                    created_at=now, claimed_at=now, alerts_sent=[])
    sla.apply_due_times(ticket, settings)
    if note and note.strip():
        ticket.messages.append(TicketMessage(author="note", staff_id=member.user_id,
                                             text=note.strip()[:4000], created_at=now))
    session.add(ticket)
    await session.flush()
    member.current_ticket_id = ticket.id
    audit.record(session, actor, "open", ticket_id=ticket.id, now=now, founder=founder_id)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.opened", {"ticket": ticket.id}))
    result.deliveries += [
        founder_message(ticket, "desk.opened_by_staff", name=member.name),
        outbox.rasa(founder_id, [PAUSE], ticket.id),
    ]
    return await finish(session, result, now)


# ------------------------------------------------------------------------ staff actions
async def claim(session: AsyncSession, settings: Settings, actor: Actor, ticket_id: int, *,
                now: datetime) -> Result:
    """Take a waiting or reopened ticket: it continues in the claimer's private chat."""
    member, ticket, refused = await staff_and_ticket(session, actor, "claim", ticket_id, now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if ticket.status == "claimed":
        if ticket.assignee_id == member.user_id:
            return refuse(session, actor, "claim", "desk.already_yours", now=now, lang=lang,
                          ticket_id=ticket.id, ticket=ticket.id)
        return refuse(session, actor, "claim", "desk.claimed_by_other", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id,
                      name=await assignee_name(session, ticket))
    if not ticket.is_open:
        return refuse(session, actor, "claim", "desk.ticket_closed", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    ticket.status, ticket.assignee_id, ticket.claimed_at = "claimed", member.user_id, now
    member.current_ticket_id = ticket.id
    audit.record(session, actor, "claim", ticket_id=ticket.id, now=now)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.claimed", {"ticket": ticket.id}))
    result.deliveries += await card_edit(session, settings, ticket)
    result.deliveries.append(await private_card(session, ticket, member))
    result.deliveries.append(founder_message(ticket, "desk.claimed_founder", name=member.name))
    return await finish(session, result, now)


async def release(session: AsyncSession, settings: Settings, actor: Actor, ticket_id: int, *,
                  now: datetime) -> Result:
    """The assignee hands the ticket back to the queue."""
    member, ticket, refused = await staff_and_ticket(session, actor, "release", ticket_id,
                                                     now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if ticket.status != "claimed" or ticket.assignee_id != member.user_id:
        return refuse(session, actor, "release", "desk.not_assignee", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    ticket.status, ticket.assignee_id, ticket.claimed_at = "waiting", None, None
    if member.current_ticket_id == ticket.id:
        member.current_ticket_id = None
    audit.record(session, actor, "release", ticket_id=ticket.id, now=now)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.released", {"ticket": ticket.id}))
    result.deliveries += await card_edit(session, settings, ticket)
    return await finish(session, result, now)


async def resolve(session: AsyncSession, settings: Settings, actor: Actor, ticket_id: int, *,
                  now: datetime) -> Result:
    """Close a ticket: the founder is told and asked for a rating, and the bot resumes.

    The assignee may resolve, or any staff member while the ticket is unclaimed.
    """
    member, ticket, refused = await staff_and_ticket(session, actor, "resolve", ticket_id,
                                                     now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if not ticket.is_open:
        return refuse(session, actor, "resolve", "desk.ticket_closed", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    if ticket.status == "claimed" and ticket.assignee_id != member.user_id:
        return refuse(session, actor, "resolve", "desk.claimed_by_other", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id,
                      name=await assignee_name(session, ticket))
    ticket.status, ticket.resolved_at = "resolved", now
    if ticket.assignee_id is None:
        ticket.assignee_id = member.user_id  # who closed it
    await session.execute(update(Staff).where(Staff.current_ticket_id == ticket.id)
                          .values(current_ticket_id=None))
    audit.record(session, actor, "resolve", ticket_id=ticket.id, now=now)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.resolved", {"ticket": ticket.id}))
    result.deliveries += await card_edit(session, settings, ticket)
    result.deliveries += [
        founder_message(ticket, "desk.resolved_founder", cards.rating_buttons(ticket)),
        outbox.rasa(int(ticket.founder_id), [RESUME, LISTEN], ticket.id),
    ]
    return await finish(session, result, now)


async def reopen(session: AsyncSession, settings: Settings, actor: Actor, ticket_id: int, *,
                 now: datetime) -> Result:
    """Staff reopen a resolved ticket (unless the founder has another one open)."""
    member, ticket, refused = await staff_and_ticket(session, actor, "reopen", ticket_id, now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if ticket.is_open:
        return refuse(session, actor, "reopen", "desk.not_resolved", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    other = await open_for(session, int(ticket.founder_id))
    if other is not None:
        return refuse(session, actor, "reopen", "desk.founder_has_ticket", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=other.id)
    _reopen(ticket, settings, now)
    audit.record(session, actor, "reopen", ticket_id=ticket.id, now=now)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.reopened", {"ticket": ticket.id}))
    result.deliveries += [founder_message(ticket, "desk.reopened_founder"),
                          outbox.rasa(int(ticket.founder_id), [PAUSE], ticket.id)]
    return await finish(session, result, now)


async def set_priority(session: AsyncSession, settings: Settings, actor: Actor, ticket_id: int,
                       priority: str, *, now: datetime) -> Result:
    """Change an open ticket's priority; its SLA due times follow."""
    member, ticket, refused = await staff_and_ticket(session, actor, "priority", ticket_id,
                                                     now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if priority not in PRIORITIES:
        return refuse(session, actor, "priority", "desk.bad_request", now=now, lang=lang,
                      ticket_id=ticket.id)
    if not ticket.is_open:
        return refuse(session, actor, "priority", "desk.ticket_closed", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    if ticket.priority == priority:
        return Result(ok=True, ticket_id=ticket.id, lang=lang,
                      notice=Notice("desk.priority_set", {"ticket": ticket.id,
                                                          "priority": priority}))
    old = ticket.priority
    ticket.priority = priority
    sla.apply_due_times(ticket, settings)
    audit.record(session, actor, "priority", ticket_id=ticket.id, now=now, old=old, new=priority)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.priority_set", {"ticket": ticket.id,
                                                        "priority": priority}))
    result.deliveries += await card_edit(session, settings, ticket)
    return await finish(session, result, now)


async def release_all_of(session: AsyncSession, settings: Settings, staff_id: int, *,
                         actor: Actor, now: datetime) -> list[int]:
    """Put a departing staff member's tickets back in the queue; return their numbers."""
    query = select(Ticket).where(Ticket.assignee_id == staff_id, Ticket.status == "claimed")
    released = []
    deliveries: list[Delivery] = []
    for ticket in (await session.execute(query)).scalars().all():
        ticket.status, ticket.assignee_id, ticket.claimed_at = "waiting", None, None
        audit.record(session, actor, "release", ticket_id=ticket.id, now=now, staff_id=staff_id)
        deliveries += await card_edit(session, settings, ticket)
        released.append(int(ticket.id))
    await outbox.add(session, deliveries, now)
    return released
