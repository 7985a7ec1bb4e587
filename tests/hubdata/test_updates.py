"""The adapter's inbox of Telegram updates (hubdata.updates)."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from hubdata import updates
from hubdata.db import transaction

PAYLOAD = {"update_id": 1, "message": {"text": "hello"}}


async def record(sessions: sessionmaker, update_id: int, chat_id: int | None = 5):
    async with transaction(sessions) as session:
        return await updates.record(session, update_id, chat_id, dict(PAYLOAD))


async def status(sessions: sessionmaker, update_id: int) -> str | None:
    async with transaction(sessions) as session:
        return await updates.status_of(session, update_id)


async def attempt_and_finish(sessions: sessionmaker, update_id: int, result: str,
                             error: str | None = None) -> None:
    async with transaction(sessions) as session:
        await updates.start_attempt(session, update_id)
    async with transaction(sessions) as session:
        await updates.finish(session, update_id, result, error)


async def test_record_then_done_then_duplicate(sessions: sessionmaker) -> None:
    row = await record(sessions, 100)
    assert row is not None and row.status == updates.PENDING and row.payload == PAYLOAD
    assert await status(sessions, 100) == updates.PENDING
    # recorded but not done (a crash, or a retry): recording again hands it back
    again = await record(sessions, 100)
    assert again is not None and again.update_id == 100
    await attempt_and_finish(sessions, 100, updates.DONE)
    assert await status(sessions, 100) == updates.DONE
    # Telegram delivers it again: it is a duplicate
    assert await record(sessions, 100) is None
    async with transaction(sessions) as session:
        assert await updates.unfinished(session) == []


async def test_record_twice_in_one_transaction(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        first = await updates.record(session, 101, 5, PAYLOAD)
        second = await updates.record(session, 101, 5, PAYLOAD)
        assert first is second
    assert await status(sessions, 101) == updates.PENDING


async def test_status_of_unknown_update(sessions: sessionmaker) -> None:
    assert await status(sessions, 999) is None


async def test_finish_sets_finished_at_and_error(sessions: sessionmaker) -> None:
    await record(sessions, 102)
    await attempt_and_finish(sessions, 102, updates.RETRY, "x" * 500)
    async with transaction(sessions) as session:
        (row,) = await updates.unfinished(session)
        assert row.status == updates.RETRY and row.attempts == 1
        assert row.finished_at is None
        assert row.error == "x" * 300
    await attempt_and_finish(sessions, 102, updates.DONE)
    async with transaction(sessions) as session:
        assert await updates.unfinished(session) == []
        assert await updates.status_of(session, 102) == updates.DONE


async def test_retry_becomes_failed_after_max_attempts(sessions: sessionmaker) -> None:
    await record(sessions, 103)
    for attempt in range(1, updates.MAX_ATTEMPTS):
        await attempt_and_finish(sessions, 103, updates.RETRY, "rasa down")
        assert await status(sessions, 103) == updates.RETRY, attempt
    await attempt_and_finish(sessions, 103, updates.RETRY, "rasa down")
    assert await status(sessions, 103) == updates.FAILED
    async with transaction(sessions) as session:
        assert await updates.unfinished(session) == []
        (failed,) = await updates.unfinished(session, statuses=(updates.FAILED,))
        assert failed.attempts == updates.MAX_ATTEMPTS
        assert failed.finished_at is not None and failed.error == "rasa down"


async def test_start_attempt_marks_in_flight(sessions: sessionmaker) -> None:
    await record(sessions, 104)
    await attempt_and_finish(sessions, 104, updates.RETRY)
    async with transaction(sessions) as session:
        await updates.start_attempt(session, 104)
        await updates.start_attempt(session, 999)  # unknown: ignored
    assert await status(sessions, 104) == updates.PENDING


async def test_unfinished_by_status_in_update_order(sessions: sessionmaker) -> None:
    for update_id in (205, 201, 203, 202, 204):
        await record(sessions, update_id)
    await attempt_and_finish(sessions, 202, updates.DONE)
    await attempt_and_finish(sessions, 203, updates.RETRY)
    await attempt_and_finish(sessions, 204, updates.FAILED)
    async with transaction(sessions) as session:
        ids = [u.update_id for u in await updates.unfinished(session)]
        assert ids == [201, 203, 205]
        pending = await updates.unfinished(session, statuses=(updates.PENDING,))
        assert [u.update_id for u in pending] == [201, 205]
        retry = await updates.unfinished(session, statuses=[updates.RETRY])
        assert [u.update_id for u in retry] == [203]
        limited = await updates.unfinished(session, limit=2)
        assert [u.update_id for u in limited] == [201, 203]


async def test_finish_unknown_update_is_ignored(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        await updates.finish(session, 12345, updates.DONE)
    assert await status(sessions, 12345) is None
