"""What staff and founders see of a ticket, as message parts the adapter renders.

A Telegram payload is ``{"op": "send" | "edit_card", "lang", "parts", "buttons"}``:

- a part is ``{"msgid", "params"}`` (a catalog text), ``{"quote": author, "text", "name"?}``
  (a transcript line, shown verbatim) or ``{"mentions": [[user_id, name], ...]}``;
- ``buttons`` are rows of ``{"msgid", "params"}`` or ``{"label"}`` plus a server-side
  ``action`` (``{"kind": "desk", "op": ..., "ticket": ...}``);
- ``card_of`` (send) and ``ticket`` (edit_card) tie the staff-group card to its ticket;
- ``reply_row`` names the ticket message whose delivery state the adapter records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from hubdata.desk.clock import minutes_between
from hubdata.models import OPEN_TICKET_STATUSES, PRIORITIES, Staff, Ticket, TicketMessage

Part = dict[str, Any]
Button = dict[str, Any]
GROUP_TRANSCRIPT_LINES = 6
PRIVATE_TRANSCRIPT_LINES = 25
QUEUE_LINES = 10


def text(msgid: str, **params: Any) -> Part:
    """A catalog text part."""
    return {"msgid": msgid, "params": params}


def button(msgid: str, action: dict[str, Any], **params: Any) -> Button:
    """A button with a catalog label."""
    return {"msgid": msgid, "params": params, "action": action}


def desk_action(op: str, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    """The server-side action of a staff button."""
    return {"kind": "desk", "op": op, "ticket": ticket.id, **extra}


def payload(lang: str, parts: list[Part], buttons: list[list[Button]] | None = None,
            **extra: Any) -> dict[str, Any]:
    """A Telegram message payload."""
    return {"op": "send", "lang": lang, "parts": parts, "buttons": buttons or [], **extra}


def summary(ticket: Ticket, assignee: str | None) -> list[Part]:
    """Number, priority, status, founder, language, topic, details, assignee."""
    parts = [
        text("desk.card_title", ticket=ticket.id, priority=ticket.priority,
             ticket_status=ticket.status),
        text("desk.card_founder", name=ticket.founder_name or str(ticket.founder_id),
             language=ticket.language, topic=ticket.topic),
    ]
    entities = {k: v for k, v in (ticket.entities or {}).items() if v}
    if entities:
        parts.append(text("desk.card_details", filters=entities))
    if assignee:
        parts.append(text("desk.card_assignee", name=assignee))
    if ticket.founder_blocked_at is not None:
        parts.append(text("desk.card_blocked"))
    if ticket.rating:
        parts.append(text("desk.card_rating", rating=ticket.rating))
    return parts


def quote(message: TicketMessage, names: dict[int, str] | None = None) -> Part:
    """One transcript line."""
    part: Part = {"quote": message.author, "text": message.text}
    if message.staff_id is not None and names:
        part["name"] = names.get(int(message.staff_id), "")
    return part


def transcript(messages: Sequence[TicketMessage], limit: int,
               names: dict[int, str] | None = None, notes: bool = True) -> list[Part]:
    """The last ``limit`` lines of the transcript, under a heading."""
    lines = [m for m in messages if notes or m.author != "note"][-limit:]
    if not lines:
        return []
    return [text("desk.card_transcript"), *(quote(m, names) for m in lines)]


def priority_row(ticket: Ticket) -> list[Button]:
    """Buttons to set any other priority."""
    return [button(f"priority.{p}", desk_action("priority", ticket, priority=p))
            for p in PRIORITIES if p != ticket.priority]


def group_buttons(ticket: Ticket) -> list[list[Button]]:
    """Claim (while unclaimed), resolve, priorities; none once resolved."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return []
    first = [button("desk.button_resolve", desk_action("resolve", ticket))]
    if ticket.status != "claimed":
        first.insert(0, button("desk.button_claim", desk_action("claim", ticket)))
    return [first, priority_row(ticket)]


def group_card(ticket: Ticket, lang: str, assignee: str | None,
               speakers: Iterable[Staff] = (), *, edit: bool = False) -> dict[str, Any]:
    """The ticket's card in the staff group (sent once, then edited as the ticket changes)."""
    parts = summary(ticket, assignee)
    if not edit or ticket.status in OPEN_TICKET_STATUSES:
        parts += transcript(ticket.messages, GROUP_TRANSCRIPT_LINES, notes=False)
    mentioned = [[int(m.user_id), str(m.name)] for m in speakers]
    if not edit:
        if mentioned:
            parts.append(text("desk.card_speakers", language=ticket.language))
            parts.append({"mentions": mentioned})
        else:
            parts.append(text("desk.card_no_speakers", language=ticket.language))
    if edit:
        return {"op": "edit_card", "ticket": ticket.id, "lang": lang, "parts": parts,
                "buttons": group_buttons(ticket)}
    return payload(lang, parts, group_buttons(ticket), card_of=ticket.id)


def private_card(ticket: Ticket, lang: str, assignee: str | None,
                 names: dict[int, str] | None = None) -> dict[str, Any]:
    """What the assignee gets on claiming: the whole story so far and the ticket's buttons."""
    parts = summary(ticket, assignee)
    parts += transcript(ticket.messages, PRIVATE_TRANSCRIPT_LINES, names)
    parts.append(text("desk.private_help", ticket=ticket.id))
    buttons = [[button("desk.button_resolve", desk_action("resolve", ticket)),
                button("desk.button_release", desk_action("release", ticket))],
               priority_row(ticket)]
    return payload(lang, parts, buttons)


def age_minutes(ticket: Ticket, now: datetime) -> int:
    """Minutes since the ticket was opened (or reopened)."""
    start = ticket.reopened_at or ticket.created_at
    return max(0, int(minutes_between(start, now)))


def queue_listing(tickets: Sequence[Ticket], lang: str, now: datetime, *, mine: bool = False
                  ) -> dict[str, Any]:
    """/queue and /mine: one line per ticket, most pressing first, with buttons to act."""
    if not tickets:
        return payload(lang, [text("desk.mine_empty" if mine else "desk.queue_empty")])
    shown = tickets[:QUEUE_LINES]
    parts = [text("desk.mine_title" if mine else "desk.queue_title", count=len(tickets))]
    buttons: list[list[Button]] = []
    for ticket in shown:
        parts.append(text("desk.queue_line", ticket=ticket.id, priority=ticket.priority,
                          ticket_status=ticket.status, language=ticket.language,
                          topic=ticket.topic, minutes=age_minutes(ticket, now)))
        if mine:
            buttons.append([button("desk.button_select", desk_action("select", ticket),
                                   ticket=ticket.id)])
        elif ticket.status != "claimed":
            buttons.append([button("desk.button_claim_number", desk_action("claim", ticket),
                                   ticket=ticket.id)])
    if len(tickets) > len(shown):
        parts.append(text("desk.queue_more", count=len(tickets) - len(shown)))
    return payload(lang, parts, buttons)


def rating_buttons(ticket: Ticket) -> list[list[Button]]:
    """1 to 5, for the founder."""
    return [[{"label": f"{n} ★", "action": {"kind": "desk_rate", "ticket": ticket.id,
                                              "rating": n}} for n in range(1, 6)]]
