"""What founders and staff say inside a ticket: the founder's messages, staff replies,
internal notes, the rating, and what the adapter reports back about their delivery.

Every message is kept on the ticket (a ``TicketMessage``); the founder's messages and staff
replies are also appended to the founder's paused Rasa conversation, internal notes never.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, cards, outbox, staff
from hubdata.desk.deliveries import LISTEN, card_edit, finish, founder_message
from hubdata.desk.guard import assignee_name, refuse, staff_and_ticket
from hubdata.desk.queries import open_for
from hubdata.desk.results import Actor, Notice, Result
from hubdata.models import Staff, Ticket, TicketMessage
from hubdata.settings import Settings

MAX_TEXT = 4000


def rasa_user_event(text: str, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The founder's message as a Rasa ``user`` event, kept in the tracker and never predicted
    on (the conversation is paused); unclassified, it carries Rasa's ``nlu_fallback`` intent."""
    return {"event": "user", "text": text, "timestamp": now.timestamp(),
            "parse_data": {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.0},
                           "entities": []},
            "metadata": {"desk_ticket": ticket.id}, "input_channel": "emergebot"}


def rasa_bot_event(text: str, ticket: Ticket, member: Staff, now: datetime) -> dict[str, Any]:
    """A staff reply as a Rasa ``bot`` event, marked as coming from staff."""
    return {"event": "bot", "text": text, "timestamp": now.timestamp(),
            "metadata": {"desk_ticket": ticket.id, "staff_id": member.user_id}}


async def founder_wrote(session: AsyncSession, founder_id: int, text: str, *,
                        now: datetime) -> Result:
    """The founder wrote while their ticket is open: keep it on the ticket, relay it to the
    staff member holding the ticket, and append it to the (paused) Rasa conversation."""
    ticket = await open_for(session, founder_id)
    if ticket is None:
        return Result(ok=False)
    text = text.strip()[:MAX_TEXT]
    during = [m for m in ticket.messages if not m.before_handoff and m.author == "founder"]
    ticket.messages.append(TicketMessage(author="founder", text=text, created_at=now))
    if ticket.founder_blocked_at is not None:  # they are writing again, so not blocking us
        ticket.founder_blocked_at = None
    result = Result(ok=True, ticket_id=ticket.id)
    member = await staff.active(session, ticket.assignee_id)
    if ticket.status == "claimed" and member is not None:
        parts = [cards.text("desk.relay_founder", ticket=ticket.id,
                            name=ticket.founder_name or str(ticket.founder_id), text=text)]
        if member.current_ticket_id != ticket.id:
            parts.append(cards.text("desk.relay_hint", ticket=ticket.id))
        result.deliveries.append(outbox.telegram(int(member.user_id), cards.payload(
            staff.interface_language(member), parts), ticket.id))
    elif not during:
        result.deliveries.append(founder_message(ticket, "desk.founder_noted"))
    result.deliveries.append(outbox.rasa(
        founder_id, [LISTEN, rasa_user_event(text, ticket, now)], ticket.id,
        keep_paused=True))
    return await finish(session, result, now)


async def reply(session: AsyncSession, actor: Actor, ticket_id: int | None, text: str, *,
                now: datetime) -> Result:
    """A staff member answers the founder (``ticket_id`` None: their current ticket).

    Only the assignee of an open ticket may reply; the founder sees the text marked as coming
    from hub staff, in their language.
    """
    member = await staff.active(session, actor.user_id)
    if member is not None and ticket_id is None:
        ticket_id = member.current_ticket_id
        if ticket_id is None:
            return refuse(session, actor, "reply", "desk.no_current_ticket", now=now,
                          lang=staff.interface_language(member))
    member, ticket, refused = await staff_and_ticket(session, actor, "reply", ticket_id, now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    text = text.strip()
    if not text:
        return refuse(session, actor, "reply", "desk.empty_text", now=now, lang=lang,
                      ticket_id=ticket.id)
    if not ticket.is_open:
        if member.current_ticket_id == ticket.id:
            member.current_ticket_id = None
        return refuse(session, actor, "reply", "desk.ticket_closed", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    if ticket.status != "claimed":
        return refuse(session, actor, "reply", "desk.claim_first", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    if ticket.assignee_id != member.user_id:
        return refuse(session, actor, "reply", "desk.claimed_by_other", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id,
                      name=await assignee_name(session, ticket))
    text = text[:MAX_TEXT]
    line = TicketMessage(author="staff", staff_id=member.user_id, text=text, delivery="pending",
                         created_at=now)
    ticket.messages.append(line)
    ticket.first_reply_at = ticket.first_reply_at or now
    ticket.last_reply_at = now
    member.current_ticket_id = ticket.id
    await session.flush()
    audit.record(session, actor, "reply", ticket_id=ticket.id, now=now, chars=len(text))
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.reply_sent", {"ticket": ticket.id}))
    message = founder_message(ticket, "desk.staff_says", name=member.name, text=text)
    message.payload["reply_row"] = line.id
    result.deliveries += [message, outbox.rasa(
        int(ticket.founder_id), [rasa_bot_event(text, ticket, member, now)], ticket.id,
        keep_paused=True)]
    return await finish(session, result, now)


async def add_note(session: AsyncSession, actor: Actor, ticket_id: int | None, text: str, *,
                   now: datetime) -> Result:
    """An internal note on a ticket: staff see it, the founder never does."""
    member = await staff.active(session, actor.user_id)
    if member is not None and ticket_id is None:
        ticket_id = member.current_ticket_id
    member, ticket, refused = await staff_and_ticket(session, actor, "note", ticket_id, now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if not text.strip():
        return refuse(session, actor, "note", "desk.empty_text", now=now, lang=lang,
                      ticket_id=ticket.id)
    ticket.messages.append(TicketMessage(author="note", staff_id=member.user_id,
                                         text=text.strip()[:MAX_TEXT], created_at=now))
    audit.record(session, actor, "note", ticket_id=ticket.id, now=now)
    return await finish(session, Result(ok=True, ticket_id=ticket.id, lang=lang, notice=Notice(
        "desk.note_added", {"ticket": ticket.id})), now)


async def select_current(session: AsyncSession, actor: Actor, ticket_id: int, *,
                         now: datetime) -> Result:
    """Make the staff member's private-chat messages go to this ticket (theirs, open)."""
    member, ticket, refused = await staff_and_ticket(session, actor, "select", ticket_id, now=now)
    if refused is not None:
        return refused
    assert member is not None and ticket is not None
    lang = staff.interface_language(member)
    if not ticket.is_open:
        return refuse(session, actor, "select", "desk.ticket_closed", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    if ticket.assignee_id != member.user_id:
        return refuse(session, actor, "select", "desk.not_assignee", now=now, lang=lang,
                      ticket_id=ticket.id, ticket=ticket.id)
    member.current_ticket_id = ticket.id
    return Result(ok=True, ticket_id=ticket.id, lang=lang,
                  notice=Notice("desk.current", {"ticket": ticket.id}))


async def rate(session: AsyncSession, founder_id: int, ticket_id: int, rating: int, *,
               now: datetime) -> Result:
    """The founder rates a resolved ticket, once, from 1 to 5."""
    actor = Actor(founder_id, "telegram")
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.founder_id != founder_id or rating not in range(1, 6):
        return refuse(session, actor, "rate", "button.expired", now=now, ticket_id=ticket_id)
    lang = str(ticket.language)
    if ticket.rating is not None:
        return refuse(session, actor, "rate", "desk.already_rated", now=now, lang=lang,
                      ticket_id=ticket.id)
    if ticket.status != "resolved":
        return refuse(session, actor, "rate", "desk.rating_unavailable", now=now, lang=lang,
                      ticket_id=ticket.id)
    ticket.rating, ticket.rated_at = rating, now
    audit.record(session, actor, "rate", ticket_id=ticket.id, now=now, rating=rating)
    result = Result(ok=True, ticket_id=ticket.id, lang=lang,
                    notice=Notice("desk.rating_thanks", {}))
    member = await staff.active(session, ticket.assignee_id)
    if member is not None:
        result.deliveries.append(outbox.telegram(int(member.user_id), cards.payload(
            staff.interface_language(member),
            [cards.text("desk.rated", ticket=ticket.id, rating=rating)]), ticket.id))
    return await finish(session, result, now)


# ------------------------------------------------------------- reports from the adapter
async def card_sent(session: AsyncSession, ticket_id: int, message_id: int) -> None:
    """Remember the staff-group message that shows the ticket (edited as it changes)."""
    await session.execute(update(Ticket).where(Ticket.id == ticket_id)
                          .values(card_message_id=message_id)
                          .execution_options(synchronize_session=False))


async def reply_delivered(session: AsyncSession, row_id: int, state: str) -> None:
    """Record whether a staff reply reached the founder ("sent" or "blocked")."""
    await session.execute(update(TicketMessage).where(TicketMessage.id == row_id)
                          .values(delivery=state).execution_options(synchronize_session=False))


async def founder_blocked(session: AsyncSession, settings: Settings, ticket_id: int, *,
                          now: datetime) -> Result:
    """Telegram refused a message to the founder (403): note it on the ticket and tell the
    staff member holding it (or the staff group if nobody does)."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return Result(ok=False)
    first = ticket.founder_blocked_at is None
    await session.execute(update(Ticket).where(Ticket.id == ticket_id)
                          .values(founder_blocked_at=now)
                          .execution_options(synchronize_session=False))
    await session.refresh(ticket)
    audit.record(session, Actor.system(), "founder_blocked", ticket_id=ticket_id, now=now)
    result = Result(ok=True, ticket_id=ticket_id)
    member = await staff.active(session, ticket.assignee_id)
    part = cards.text("desk.founder_blocked", ticket=ticket.id)
    if member is not None:
        result.deliveries.append(outbox.telegram(int(member.user_id), cards.payload(
            staff.interface_language(member), [part]), ticket.id))
    if first:
        result.deliveries += await card_edit(session, settings, ticket)
    await outbox.add(session, result.deliveries, now)
    return result
