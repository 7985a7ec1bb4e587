"""Service levels: first-response and resolution targets per priority, and the reminders.

A ticket is *at risk* once ``Settings.sla_at_risk_fraction`` of a target has passed, and
*breached* once the target has. Each reminder goes to the staff group once per ticket (the group
carries only new tickets and these alerts); on a first-response breach the founder also gets a
localised "still waiting" note. ``now`` is passed in, so tests run the clock themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, cards, outbox, staff
from hubdata.desk.clock import aware, minutes_between
from hubdata.desk.results import Actor, Delivery, Result
from hubdata.models import OPEN_TICKET_STATUSES, Ticket
from hubdata.settings import Settings

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
AT_RISK = "at_risk"
BREACHED = "breached"
MESSAGES = {
    (FIRST_RESPONSE, AT_RISK): "desk.sla_first_response_at_risk",
    (FIRST_RESPONSE, BREACHED): "desk.sla_first_response_breached",
    (RESOLUTION, AT_RISK): "desk.sla_resolution_at_risk",
    (RESOLUTION, BREACHED): "desk.sla_resolution_breached",
}


@dataclass(frozen=True)
class Alert:
    """One reminder due for a ticket."""

    clock: str  # first_response or resolution
    level: str  # at_risk or breached
    minutes: int  # minutes left (at risk) or past the target (breached)

    @property
    def key(self) -> str:
        """How the alert is remembered on the ticket."""
        return f"{self.clock}.{self.level}"


def due_times(settings: Settings, priority: str, start: datetime) -> tuple[datetime, datetime]:
    """First-response and resolution due times for a ticket opened at ``start``."""
    start = aware(start)
    return (start + timedelta(minutes=settings.sla_first_response.minutes(priority)),
            start + timedelta(minutes=settings.sla_resolution.minutes(priority)))


def apply_due_times(ticket: Ticket, settings: Settings) -> None:
    """Set the ticket's due times from its priority and when it was (re)opened."""
    start = ticket.reopened_at or ticket.created_at
    ticket.first_response_due, ticket.resolution_due = due_times(settings, ticket.priority, start)


def _state(start: datetime, due: datetime, now: datetime, fraction: float) -> Alert | None:
    total = minutes_between(start, due)
    left = minutes_between(now, due)
    if left < 0:
        return Alert("", BREACHED, int(-left))
    if total > 0 and (total - left) >= fraction * total:
        return Alert("", AT_RISK, int(left + 0.999))
    return None


def awaiting_reply(ticket: Ticket) -> bool:
    """Whether staff have not replied since the ticket was (re)opened."""
    if ticket.last_reply_at is None:
        return True
    return ticket.reopened_at is not None and aware(ticket.last_reply_at) < aware(
        ticket.reopened_at)


def alerts_due(ticket: Ticket, settings: Settings, now: datetime) -> list[Alert]:
    """Reminders this ticket needs now and has not had yet."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return []
    start = ticket.reopened_at or ticket.created_at
    sent = set(ticket.alerts_sent or [])
    clocks = [(RESOLUTION, ticket.resolution_due)]
    if awaiting_reply(ticket):
        clocks.insert(0, (FIRST_RESPONSE, ticket.first_response_due))
    out = []
    for clock, due in clocks:
        state = _state(start, due, now, settings.sla_at_risk_fraction)
        if state is None:
            continue
        alert = Alert(clock, state.level, state.minutes)
        if alert.key in sent or (alert.level == AT_RISK and f"{clock}.{BREACHED}" in sent):
            continue
        out.append(alert)
    return out


def state_now(ticket: Ticket, settings: Settings, now: datetime) -> str | None:
    """The worst SLA state of an open ticket now: "breached", "at_risk", "ok" (None: closed)."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return None
    start = ticket.reopened_at or ticket.created_at
    dues = [ticket.resolution_due]
    if awaiting_reply(ticket):
        dues.append(ticket.first_response_due)
    states = {getattr(_state(start, due, now, settings.sla_at_risk_fraction), "level", None)
              for due in dues}
    return BREACHED if BREACHED in states else AT_RISK if AT_RISK in states else "ok"


def breached(ticket: Ticket, now: datetime) -> tuple[bool, bool]:
    """Whether the first-response and the resolution targets were (or are by now) missed.

    Resolving a ticket without a reply counts as its response.
    """
    responded = ticket.first_reply_at or ticket.resolved_at
    first_late = aware(responded or now) > aware(ticket.first_response_due)
    finished = ticket.resolved_at if ticket.status == "resolved" else None
    return first_late, aware(finished or now) > aware(ticket.resolution_due)


async def check(session: AsyncSession, settings: Settings, now: datetime) -> Result:
    """Queue the reminders due now for every open ticket and remember them."""
    query = select(Ticket).where(Ticket.status.in_(OPEN_TICKET_STATUSES)).order_by(Ticket.id)
    deliveries: list[Delivery] = []
    for ticket in (await session.execute(query)).scalars():
        alerts = alerts_due(ticket, settings, now)
        if not alerts:
            continue
        for alert in alerts:
            deliveries += await _alert_deliveries(session, settings, ticket, alert)
            audit.record(session, Actor.system(), "sla_alert", ticket_id=ticket.id, now=now,
                         alert=alert.key, minutes=alert.minutes)
        keys = {a.key for a in alerts}
        if any(a.level == BREACHED for a in alerts):
            keys |= {f"{a.clock}.{AT_RISK}" for a in alerts if a.level == BREACHED}
        ticket.alerts_sent = sorted(set(ticket.alerts_sent or []) | keys)
    await outbox.add(session, deliveries, now)
    return Result(ok=True, deliveries=deliveries)


async def _alert_deliveries(session: AsyncSession, settings: Settings, ticket: Ticket,
                            alert: Alert) -> list[Delivery]:
    msgid = MESSAGES[alert.clock, alert.level]
    part = cards.text(msgid, ticket=ticket.id, priority=ticket.priority, minutes=alert.minutes)
    out = []
    if settings.staff_chat_id is not None:
        out.append(outbox.telegram(settings.staff_chat_id,
                                   cards.payload(settings.staff_language, [part]), ticket.id))
    else:  # no staff group: remind the assignee, if any
        member = await staff.active(session, ticket.assignee_id)
        if member is not None:
            out.append(outbox.telegram(int(member.user_id), cards.payload(
                staff.interface_language(member), [part]), ticket.id))
    if alert.key == f"{FIRST_RESPONSE}.{BREACHED}" and ticket.founder_blocked_at is None:
        out.append(outbox.telegram(int(ticket.founder_chat_id), cards.payload(
            ticket.language, [cards.text("desk.still_waiting")], audience="founder"),
            ticket.id))
    return out
