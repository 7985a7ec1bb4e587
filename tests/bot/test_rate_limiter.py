"""The shared rate limiter: GCRA schedules in memory and in Redis, 429s waited out."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.rate_limiter import Limit, MemorySchedule, RedisSchedule, SharedRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_schedule_allows_a_burst_then_spaces_requests() -> None:
    clock = Clock()
    schedule = MemorySchedule(clock)
    chat = Limit(1.0, burst=3)
    waits = [await schedule.reserve("chat:1", chat) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert await schedule.reserve("chat:2", chat) == 0.0  # chats are independent
    clock.now += 10  # after a quiet spell the burst is available again
    assert [await schedule.reserve("chat:1", chat) for _ in range(3)] == [0.0, 0.0, 0.0]


@pytest.fixture
async def redis_schedules() -> Any:
    if os.environ.get("EMERGEBOT_SKIP_REDIS") == "1":
        pytest.skip("EMERGEBOT_SKIP_REDIS=1")
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = RedisSchedule(REDIS_URL, prefix), RedisSchedule(REDIS_URL, prefix)
    try:
        await first.reserve("probe", Limit(0.001))
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"Redis at {REDIS_URL} is not usable ({error}); start it, or set "
                    "EMERGEBOT_SKIP_REDIS=1")
    yield first, second
    await first.close()
    await second.close()


async def test_two_replicas_share_one_schedule_through_redis(redis_schedules: Any) -> None:
    first, second = redis_schedules
    limit = Limit(0.5, burst=2)
    waits = [await first.reserve("chat:7", limit), await second.reserve("chat:7", limit),
             await first.reserve("chat:7", limit), await second.reserve("chat:7", limit)]
    assert waits[:2] == [0.0, 0.0]
    # The third and fourth requests, from either replica, wait about 0.5 s and 1 s.
    assert 0.4 <= waits[2] <= 0.5 and 0.9 <= waits[3] <= 1.0, waits
    assert await second.reserve("chat:8", limit) == 0.0


async def test_limiter_waits_out_a_429_and_retries() -> None:
    limiter = SharedRateLimiter(MemorySchedule(), per_second=1000, chat_per_second=1000)
    calls: list[int] = []

    async def send(**_: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise RetryAfter(0)
        return {"ok": True}

    result = await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert result == {"ok": True} and len(calls) == 2


async def test_limiter_gives_up_after_its_retries() -> None:
    limiter = SharedRateLimiter(MemorySchedule(), per_second=1000, chat_per_second=1000,
                                max_retries=2)

    async def always_429(**_: Any) -> dict[str, Any]:
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await limiter.process_request(always_429, (), {}, "sendMessage", {"chat_id": 5}, None)


async def test_groups_use_the_per_minute_limit() -> None:
    clock = Clock()
    schedule = MemorySchedule(clock)
    limiter = SharedRateLimiter(schedule, group_per_minute=20)
    waits = [await schedule.reserve("group:-100", limiter._group) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.0, 3.0]  # 20 a minute: one every 3 s after a burst of 3


async def test_an_unreachable_redis_falls_back_to_the_replicas_own_schedule() -> None:
    schedule = RedisSchedule("redis://127.0.0.1:9/0")  # nothing listens on port 9
    try:
        waits = [await schedule.reserve("chat:1", Limit(1.0, burst=1)) for _ in range(2)]
    finally:
        await schedule.close()
    assert waits[0] == 0.0 and 0.9 <= waits[1] <= 1.0
