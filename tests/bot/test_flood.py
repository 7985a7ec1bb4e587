"""Flood control per founder, and a burst from one chat never starving the others."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from bot.flood import WINDOW_S, FloodGate, Verdict
from bot.processor import LoggedUpdateProcessor
from tests.bot.test_adapter_units import text_update

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000 * WINDOW_S

    def __call__(self) -> float:
        return self.now


async def verdicts(gate: FloodGate, chat_id: int, count: int) -> list[Verdict]:
    return [await gate.verdict(chat_id) for _ in range(count)]


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "redis"])
async def test_over_the_limit_dropped_told_once_per_minute(shared: bool) -> None:
    redis: Any = None
    if shared:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
    clock = Clock()
    chat = int(uuid.uuid4().int % 10**9)
    try:
        gate = FloodGate(3, redis, clock=clock)
        assert await verdicts(gate, chat, 6) == [Verdict.ADMIT] * 3 + [
            Verdict.DROP_AND_TELL, Verdict.DROP, Verdict.DROP]
        assert await gate.verdict(chat + 1) is Verdict.ADMIT  # another founder: unaffected
        clock.now += WINDOW_S  # the next minute
        assert await gate.verdict(chat) is Verdict.ADMIT
        if shared:  # a second replica shares the count
            other = FloodGate(3, redis, clock=clock)
            assert await verdicts(other, chat, 3) == [Verdict.ADMIT, Verdict.ADMIT,
                                                      Verdict.DROP_AND_TELL]
            assert 0 < await redis.ttl(f"emergebot:flood:{chat}:{int(clock.now // WINDOW_S)}")
    finally:
        if redis is not None:
            await redis.close()


async def test_no_limit_admits_everything() -> None:
    assert set(await verdicts(FloodGate(0), 1, 100)) == {Verdict.ADMIT}


async def test_the_processor_drops_a_flood_unrecorded_and_tells_once(sessions: Any) -> None:
    told: list[int] = []
    handled: list[int] = []

    async def tell(update: Any) -> None:
        told.append(update.update_id)

    async def handle(update_id: int) -> None:
        handled.append(update_id)

    processor = LoggedUpdateProcessor(sessions, flood_per_minute=2, on_flood=tell)
    await processor.initialize()
    for update_id in range(1, 6):
        await processor.do_process_update(text_update(update_id, 77), handle(update_id))
    processor.resume([9])  # a recorded update coming back (a retry) is never dropped
    await processor.do_process_update(text_update(9, 77), handle(9))
    assert handled == [1, 2, 9] and told == [3]
    from hubdata import updates as update_log
    from hubdata.db import transaction

    async with transaction(sessions) as session:
        assert await update_log.status_of(session, 1) == update_log.DONE
        assert await update_log.status_of(session, 4) is None  # dropped: nothing kept


async def test_a_burst_from_one_chat_does_not_starve_another(sessions: Any) -> None:
    """With two slots, a chat whose first update is stuck and nine more queued behind it
    used to hold both slots; another chat's update now goes through meanwhile."""
    processor = LoggedUpdateProcessor(sessions, max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[str] = []

    async def stuck() -> None:
        await release.wait()
        done.append("a")

    async def quick(name: str) -> None:
        done.append(name)

    burst = [asyncio.create_task(processor.process_update(
        text_update(100 + i, 1), stuck() if i == 0 else quick(f"a{i}"))) for i in range(10)]
    await asyncio.sleep(0.2)
    await asyncio.wait_for(processor.process_update(text_update(200, 2), quick("b")), 5)
    assert done == ["b"]  # the other chat was answered while chat 1 waits
    release.set()
    await asyncio.gather(*burst)
    assert done[1:] == ["a"] + [f"a{i}" for i in range(1, 10)]  # chat 1 in order
