"""The adapter's inbox of Telegram updates (hubdata.updates)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import sessionmaker

from hubdata import updates
from hubdata.db import transaction
from hubdata.models import IncomingUpdate, utcnow

PAYLOAD = {"update_id": 1, "message": {"text": "hello"}}


async def record(
    sessions: sessionmaker, update_id: int, chat_id: int | None = 5
) -> IncomingUpdate | None:
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


async def set_times(sessions: sessionmaker, update_id: int, **times: datetime) -> None:
    async with transaction(sessions) as session:
        row = await session.get(IncomingUpdate, (0, update_id))
        assert row is not None
        for name, value in times.items():
            setattr(row, name, value)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def test_finish_sets_finished_at_and_error(sessions: sessionmaker) -> None:
    await record(sessions, 102)
    await attempt_and_finish(sessions, 102, updates.RETRY, "x" * 500)
    async with transaction(sessions) as session:
        assert await updates.unfinished(session) == []  # not due yet
        row = await session.get(IncomingUpdate, (0, 102))
        assert row is not None
        assert row.status == updates.RETRY and row.attempts == 1
        assert row.finished_at is None
        assert row.error == "x" * 300
    await attempt_and_finish(sessions, 102, updates.DONE)
    async with transaction(sessions) as session:
        row = await session.get(IncomingUpdate, (0, 102))
        assert row is not None and row.status == updates.DONE
        assert row.finished_at is not None and row.error is None


async def test_retry_waits_longer_each_time_up_to_a_cap(sessions: sessionmaker) -> None:
    await record(sessions, 103)
    waits = []
    for _ in range(6):
        async with transaction(sessions) as session:
            await updates.start_attempt(session, 103)
        before = utcnow()
        async with transaction(sessions) as session:
            await updates.finish(session, 103, updates.RETRY, "rasa down", retry_interval_s=10)
        after = utcnow()
        async with transaction(sessions) as session:
            row = await session.get(IncomingUpdate, (0, 103))
            assert row is not None and row.status == updates.RETRY
            retry_at = aware(row.retry_at)
        low = (retry_at - after).total_seconds()
        high = (retry_at - before).total_seconds()
        waits.append(next(w for w in (10, 20, 40, 80, 160) if low - 1 <= w <= high + 1))
    assert waits == [10, 20, 40, 80, 80, 80]


async def test_retry_becomes_failed_after_max_retry_age(sessions: sessionmaker) -> None:
    await record(sessions, 104)
    young = utcnow() - updates.MAX_RETRY_AGE + timedelta(minutes=5)
    await set_times(sessions, 104, received_at=young)
    await attempt_and_finish(sessions, 104, updates.RETRY, "rasa down")
    assert await status(sessions, 104) == updates.RETRY
    await set_times(sessions, 104, received_at=utcnow() - updates.MAX_RETRY_AGE
                    - timedelta(minutes=1))
    await attempt_and_finish(sessions, 104, updates.RETRY, "rasa down")
    assert await status(sessions, 104) == updates.FAILED
    await set_times(sessions, 104, retry_at=utcnow() - timedelta(hours=1))
    async with transaction(sessions) as session:
        assert await updates.unfinished(session) == []
        (failed,) = await updates.unfinished(session, statuses=(updates.FAILED,))
        assert failed.attempts == 2
        assert failed.finished_at is not None and failed.error == "rasa down"


async def test_start_attempt_marks_in_flight(sessions: sessionmaker) -> None:
    await record(sessions, 105)
    await attempt_and_finish(sessions, 105, updates.RETRY)
    async with transaction(sessions) as session:
        await updates.start_attempt(session, 105)
        await updates.start_attempt(session, 999)  # unknown: ignored
    assert await status(sessions, 105) == updates.PENDING
    async with transaction(sessions) as session:
        row = await session.get(IncomingUpdate, (0, 105))
        assert row is not None and row.attempts == 2


async def test_unfinished_by_status_in_update_order(sessions: sessionmaker) -> None:
    for update_id in (205, 201, 203, 202, 204, 206):
        await record(sessions, update_id)
    await attempt_and_finish(sessions, 202, updates.DONE)
    await attempt_and_finish(sessions, 203, updates.RETRY)
    await attempt_and_finish(sessions, 204, updates.FAILED)
    await attempt_and_finish(sessions, 206, updates.RETRY)
    await set_times(sessions, 203, retry_at=utcnow() - timedelta(seconds=1))  # due
    async with transaction(sessions) as session:
        ids = [u.update_id for u in await updates.unfinished(session)]
        assert ids == [201, 203, 205]  # 206 waits for its retry time
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


async def test_record_attempt_counts_attempts_and_drops_done_duplicates(
    sessions: sessionmaker,
) -> None:
    """One INSERT records a new update as its first attempt; a crash or retry left it
    pending, so it comes back as the next attempt; once done it is a duplicate, and its
    payload (the founder's message) is gone."""
    async def attempt() -> int | None:
        async with transaction(sessions) as session:
            return await updates.record_attempt(session, 300, 7, dict(PAYLOAD))

    assert await attempt() == 1
    assert await status(sessions, 300) == updates.PENDING
    assert await attempt() == 2
    async with transaction(sessions) as session:
        await updates.finish(session, 300, updates.DONE)
    assert await attempt() is None
    async with transaction(sessions) as session:
        row = await session.get(IncomingUpdate, (0, 300))
        assert (row.status, row.attempts, row.chat_id, row.payload) == (
            updates.DONE, 2, 7, None)
        assert row.finished_at is not None and row.error is None


async def test_a_reused_id_after_the_window_is_a_new_message(sessions: sessionmaker) -> None:
    """Telegram's ids restart (a new token, a quiet week, a restored backup): an id last seen
    before the deduplication window is answered as new, with no stored reply of the old one."""
    from hubdata import replies

    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 400, 7, dict(PAYLOAD)) == 1
        await replies.store(session, 400, 7, [("old answer", None)])
        await updates.finish(session, 400, updates.DONE)
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 400, 7, dict(PAYLOAD)) is None  # resent
    await set_times(sessions, 400, received_at=utcnow() - updates.DEDUP_WINDOW
                    - timedelta(minutes=1))
    later = {"update_id": 400, "message": {"text": "a new question"}}
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 400, 7, later) == 1
        assert await replies.for_update(session, 400) == []
        row = await session.get(IncomingUpdate, (0, 400))
        assert (row.status, row.payload, row.finished_at) == (updates.PENDING, later, None)


async def test_a_reused_id_with_other_content_is_a_new_message(sessions: sessionmaker) -> None:
    """A second local run whose fake Bot API starts its ids at 1 again: same id, another
    message, within the window. It is new; the same update resent is still a duplicate."""
    first = {"update_id": 1, "message": {"message_id": 1, "date": 1, "text": "hello"}}
    second = {"update_id": 1, "message": {"message_id": 1, "date": 99, "text": "hello"}}
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 1, 7, first) == 1
        await updates.finish(session, 1, updates.DONE)
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 1, 7, dict(first)) is None
        assert await updates.record_attempt(session, 1, 7, second) == 1
        await updates.finish(session, 1, updates.DONE)
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 1, 7, dict(second)) is None


async def test_update_ids_are_per_bot(sessions: sessionmaker) -> None:
    """Two bots (a new token) may send the same id: neither is the other's duplicate."""
    assert updates.bot_id_from_token("123456:abc-DEF") == 123456
    assert updates.bot_id_from_token("not-a-token") == 0
    async with transaction(sessions) as session:
        assert await updates.record_attempt(session, 500, 7, PAYLOAD, bot_id=1) == 1
        await updates.finish(session, 500, updates.DONE, bot_id=1)
        assert await updates.record_attempt(session, 500, 7, PAYLOAD, bot_id=2) == 1
        assert await updates.status_of(session, 500, bot_id=1) == updates.DONE
        assert await updates.status_of(session, 500, bot_id=2) == updates.PENDING
        assert await updates.status_of(session, 500) is None


async def test_unfinished_updates_are_this_bots_and_unkeyed_ones_are_adopted(
    sessions: sessionmaker,
) -> None:
    """An earlier token's updates cannot be answered by this bot; rows from before updates
    were keyed by bot (bot id 0) are taken over, unless this bot has the same id already."""
    async with transaction(sessions) as session:
        for bot_id, update_id in ((0, 600), (0, 601), (5, 601), (9, 602)):
            await updates.record(session, update_id, 7, {"update_id": update_id}, bot_id=bot_id)
    async with transaction(sessions) as session:
        assert await updates.adopt(session, 5) == 1  # 601 is taken under bot 5
        assert [u.update_id for u in await updates.unfinished(session, bot_id=5)] == [600, 601]
        assert [u.update_id for u in await updates.unfinished(session, bot_id=9)] == [602]
        assert [u.update_id for u in await updates.unfinished(session)] == [601]
