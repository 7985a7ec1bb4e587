"""The console's figures, over tickets whose times the test sets."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from hubdata.desk import metrics, ticket_messages, transitions
from hubdata.settings import Settings
from tests.hubdata.desk.conftest import AMINA, FOUNDER, PEDRO, Clock, actor, call, request


async def test_figures(team: sessionmaker, settings: Settings, clock: Clock) -> None:
    start = clock()
    # 1: French funding, replied after 10 min, resolved, rated 5.
    one, _ = await request(team, settings, clock())
    await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), one, now=clock()))
    clock.advance(minutes=10)
    await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), one, "ok", now=clock()))
    await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), one, now=clock()))
    await call(team, lambda s: ticket_messages.rate(s, FOUNDER, one, 5, now=clock()))
    # 2: Spanish, no topic, replied after 300 min (first reply target missed), rated 2.
    two, _ = await request(team, settings, clock(), founder_id=77, language="es", topic=None)
    await call(team, lambda s: transitions.claim(s, settings, actor(PEDRO), two, now=clock()))
    clock.advance(minutes=300)
    await call(team, lambda s: ticket_messages.reply(s, actor(PEDRO), two, "hola", now=clock()))
    await call(team, lambda s: transitions.resolve(s, settings, actor(PEDRO), two, now=clock()))
    await call(team, lambda s: ticket_messages.rate(s, 77, two, 2, now=clock()))
    # 3: French mentor, still waiting.
    await request(team, settings, clock(), founder_id=78, topic="mentor")
    clock.advance(minutes=60)
    async with team() as session:
        figures = await metrics.compute(session, clock())
        recent = await metrics.compute(session, clock(), since=clock())
    assert (figures.total, figures.open, figures.resolved) == (3, 1, 2)
    assert figures.by_topic == {"funding": 1, "none": 1, "mentor": 1}
    assert figures.by_language == {"fr": 2, "es": 1}
    assert figures.median_first_reply_minutes == 155.0
    assert figures.median_first_reply_by_priority() == {"normal": 155.0}
    assert (figures.first_response_breaches, figures.resolution_breaches) == (1, 0)
    assert figures.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert figures.average_rating == 3.5
    assert recent.total == 0 and start < clock()
