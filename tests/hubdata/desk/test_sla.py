"""SLA reminders with a controlled clock: at risk, then breached, once each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker

from hubdata.desk import sla, ticket_messages, transitions
from hubdata.settings import Settings, SlaTargets
from tests.hubdata.desk.conftest import (
    AMINA,
    FOUNDER,
    STAFF_GROUP,
    Clock,
    actor,
    call,
    msgids,
    request,
    ticket_of,
)


async def check(sessions: sessionmaker, settings: Settings, clock: Clock) -> list[tuple]:
    """Run the SLA check now; return (chat, message id, minutes) of what it queued."""
    result = await call(sessions, lambda s: sla.check(s, settings, clock()))
    return [(d.chat_id, msgids(d.payload)[0], d.payload["parts"][0]["params"].get("minutes"))
            for d in result.deliveries]


async def test_first_response_reminders_come_once_each(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    await request(team, settings, clock())  # normal: first reply within 240 min
    clock.advance(minutes=179)
    assert await check(team, settings, clock) == []
    clock.advance(minutes=2)  # 181 min: past 75 % of 240
    assert await check(team, settings, clock) == [
        (STAFF_GROUP, "desk.sla_first_response_at_risk", 59)]
    assert await check(team, settings, clock) == []
    clock.advance(minutes=60)  # 241 min
    assert await check(team, settings, clock) == [
        (STAFF_GROUP, "desk.sla_first_response_breached", 1),
        (FOUNDER, "desk.still_waiting", None)]
    clock.advance(minutes=30)
    assert await check(team, settings, clock) == []


async def test_resolution_reminders_follow_the_first_reply(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number, _ = await request(team, settings, clock())
    await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number, now=clock()))
    clock.advance(minutes=10)
    await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), number, "Bonjour",
                                                     now=clock()))
    clock.advance(minutes=400)  # long past the first-reply target, but it was met
    assert await check(team, settings, clock) == []
    clock.advance(minutes=2160 - 410 + 1)  # 75 % of the 2880-minute resolution target
    assert [m for _, m, _ in await check(team, settings, clock)] == [
        "desk.sla_resolution_at_risk"]
    clock.advance(days=2)
    assert [m for _, m, _ in await check(team, settings, clock)] == [
        "desk.sla_resolution_breached"]
    first_late, resolution_late = sla.breached(await ticket_of(team, number), clock())
    assert (first_late, resolution_late) == (False, True)


async def test_a_jump_past_the_target_sends_only_the_breach(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number, _ = await request(team, settings, clock())
    clock.advance(hours=5)
    assert [m for _, m, _ in await check(team, settings, clock)] == [
        "desk.sla_first_response_breached", "desk.still_waiting"]
    ticket = await ticket_of(team, number)
    assert set(ticket.alerts_sent) == {"first_response.at_risk", "first_response.breached"}


async def test_resolved_tickets_are_left_alone(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number, _ = await request(team, settings, clock())
    await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number, now=clock()))
    clock.advance(days=10)
    assert await check(team, settings, clock) == []


async def test_without_a_staff_group_the_assignee_is_reminded(
        team: sessionmaker, clock: Clock) -> None:
    settings = Settings(staff_chat_id=None,
                        sla_first_response=SlaTargets(urgent=10, high=20, normal=40, low=80))
    number, _ = await request(team, settings, clock())
    await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number, now=clock()))
    clock.advance(minutes=31)
    assert await check(team, settings, clock) == [(AMINA, "desk.sla_first_response_at_risk", 9)]


async def test_priority_sets_the_targets(team: sessionmaker, clock: Clock) -> None:
    settings = Settings.from_env({"STAFF_CHAT_ID": str(STAFF_GROUP),
                                  "SLA_FIRST_RESPONSE_MIN": "urgent=2",
                                  "SLA_AT_RISK_FRACTION": "0.5"})
    assert settings.sla_first_response.urgent == 2 and settings.sla_first_response.normal == 240
    number, _ = await request(team, settings, clock())
    await call(team, lambda s: transitions.set_priority(s, settings, actor(AMINA), number, "urgent",
                                                        now=clock()))
    ticket = await ticket_of(team, number)
    assert sla.state_now(ticket, settings, clock()) == "ok"
    assert sla.state_now(ticket, settings, clock() + timedelta(minutes=1.5)) == "at_risk"
    assert sla.state_now(ticket, settings, clock() + timedelta(minutes=3)) == "breached"
    clock.advance(minutes=3)
    assert [m for _, m, _ in await check(team, settings, clock)][0] == (
        "desk.sla_first_response_breached")


def test_sla_targets_reject_unknown_priorities() -> None:
    import pytest

    with pytest.raises(ValueError):
        Settings.from_env({"SLA_RESOLUTION_MIN": "critical=5"})
