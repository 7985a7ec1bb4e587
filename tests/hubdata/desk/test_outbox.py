"""The outbox: claimed once, retried with a delay, resumed after a crash."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.desk import outbox
from tests.hubdata.desk.conftest import T0


async def queue_two(sessions: sessionmaker) -> list[int]:
    deliveries = [outbox.telegram(1, {"op": "send", "parts": []}),
                  outbox.rasa(1, [{"event": "pause"}])]
    async with transaction(sessions) as session:
        await outbox.add(session, deliveries, T0)
    return [int(d.outbox_id) for d in deliveries]


async def test_a_row_is_claimed_by_one_sender_only(sessions: sessionmaker) -> None:
    first, second = await queue_two(sessions)
    async with transaction(sessions) as session:
        assert [r.id for r in await outbox.due(session, T0)] == [first, second]
        assert await outbox.claim(session, first, T0)
        assert not await outbox.claim(session, first, T0)
        assert await outbox.finish(session, first, T0) == outbox.SENT
        assert [r.id for r in await outbox.due(session, T0)] == [second]
        assert [r.id for r in await outbox.due(session, T0, conversation_id="1")] == [second]


async def test_retries_wait_and_failures_stop(sessions: sessionmaker) -> None:
    first, second = await queue_two(sessions)
    async with transaction(sessions) as session:
        await outbox.claim(session, first, T0)
        state = await outbox.finish(session, first, T0, ok=False, error="429",
                                    retry_in=timedelta(seconds=30))
        assert state == outbox.PENDING
        assert [r.id for r in await outbox.due(session, T0)] == [second]
        assert [r.id for r in await outbox.due(session, T0 + timedelta(seconds=31))] == [
            first, second]
        await outbox.claim(session, second, T0)
        assert await outbox.finish(session, second, T0, ok=False, error="403") == outbox.FAILED
        assert [r.id for r in await outbox.due(session, T0 + timedelta(days=1))] == [first]


async def test_rows_left_sending_by_a_crash_come_back(sessions: sessionmaker) -> None:
    first, _ = await queue_two(sessions)
    async with transaction(sessions) as session:
        await outbox.claim(session, first, T0)
    async with transaction(sessions) as session:
        assert await outbox.requeue_stale(session, T0 + timedelta(seconds=10)) == 0
        assert await outbox.requeue_stale(session, T0 + outbox.STALE_AFTER * 2) == 1
        assert first in [r.id for r in await outbox.due(session, T0)]


async def test_a_retry_holds_back_later_rows_of_the_same_recipient(sessions: sessionmaker
                                                                    ) -> None:
    deliveries = [outbox.rasa(1, [{"event": "user"}]), outbox.rasa(2, [{"event": "user"}]),
                  outbox.rasa(1, [{"event": "bot"}])]
    async with transaction(sessions) as session:
        await outbox.add(session, deliveries, T0)
    first, other, later = (int(d.outbox_id) for d in deliveries)
    async with transaction(sessions) as session:
        await outbox.claim(session, first, T0)
        await outbox.finish(session, first, T0, ok=False, retry_in=timedelta(seconds=30))
        assert [r.id for r in await outbox.due(session, T0)] == [other]
        later_due = await outbox.due(session, T0 + timedelta(seconds=31))
        assert [r.id for r in later_due] == [first, other, later]
