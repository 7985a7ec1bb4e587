"""Shared pieces of the staff desk's tests: settings, a controlled clock, staff and founders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from hubdata import founders
from hubdata.db import transaction
from hubdata.desk import outbox, staff, transitions
from hubdata.desk.results import TELEGRAM, Actor, Result
from hubdata.models import AuditEntry, OutboxMessage, Ticket
from hubdata.settings import Settings

STAFF_GROUP = -100_777
AMINA, PEDRO, OUTSIDER = 501, 502, 999
FOUNDER = 4242
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Starts at T0."""
    return Clock()


@pytest.fixture
def settings() -> Settings:
    """A staff group and the default SLA targets."""
    return Settings(staff_chat_id=STAFF_GROUP)


def actor(user_id: int, channel: str = TELEGRAM) -> Actor:
    return Actor(user_id, channel)


@pytest.fixture
async def team(sessions: sessionmaker) -> sessionmaker:
    """Amina (fr, en) and Pedro (es, pt) are staff; a founder (4242) has written to the bot."""
    return await make_team(sessions)


async def make_team(sessions: sessionmaker) -> sessionmaker:
    """Register Amina and Pedro; record the founder 4242 (French)."""
    async with transaction(sessions) as session:
        await staff.add(session, AMINA, "Amina", ["fr", "en"], actor=Actor(None, "cli"), now=T0)
        await staff.add(session, PEDRO, "Pedro", ["es", "pt"], actor=Actor(None, "cli"), now=T0)
        founder = await founders.get_or_create(session, FOUNDER)
        founder.chat_id, founder.language = FOUNDER, "fr"
    return sessions


async def request(sessions: sessionmaker, settings: Settings, now: datetime,
                  founder_id: int = FOUNDER, **kwargs: Any) -> tuple[int, str]:
    """The founder asks for a person (as the action server does); return ticket id, outcome."""
    fields: dict[str, Any] = {"language": "fr", "reason": "request_human", "topic": "funding",
                              "entities": {"country": "SN"}, "last_message": "Bonjour"}
    fields.update(kwargs)
    async with transaction(sessions) as session:
        ticket, outcome = await transitions.request_from_founder(
            session, settings, founder_id=founder_id, chat_id=founder_id, now=now, **fields)
        return int(ticket.id), outcome


async def call(sessions: sessionmaker, operation: Any) -> Result:
    """Run one desk operation in its own transaction."""
    async with transaction(sessions) as session:
        return await operation(session)


async def ticket_of(sessions: sessionmaker, ticket_id: int) -> Ticket:
    async with transaction(sessions) as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def pending(sessions: sessionmaker) -> Sequence[OutboxMessage]:
    """Every undelivered outbox row, oldest first."""
    async with transaction(sessions) as session:
        query = select(OutboxMessage).where(OutboxMessage.status == outbox.PENDING)
        return (await session.execute(query.order_by(OutboxMessage.id))).scalars().all()


async def deliver_all(sessions: sessionmaker, now: datetime) -> None:
    """Mark every pending row sent (as the adapter would)."""
    async with transaction(sessions) as session:
        for row in await outbox.due(session, now + timedelta(days=365), limit=1000):
            await outbox.claim(session, row.id, now)
            await outbox.finish(session, row.id, now)


async def audit_log(sessions: sessionmaker) -> list[tuple[Any, ...]]:
    """(actor, channel, action, ticket, outcome) of every audit entry, in order."""
    async with transaction(sessions) as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(r.actor_id, r.channel, r.action, r.ticket_id, r.outcome) for r in rows]


def msgids(payload: dict[str, Any]) -> list[str]:
    """The message ids in a Telegram payload."""
    return [p["msgid"] for p in payload.get("parts", []) if "msgid" in p]
