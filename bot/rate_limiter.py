"""Telegram's flood limits, enforced across every adapter replica.

Telegram allows a bot about 30 messages a second overall, 1 a second in one chat (short bursts
pass) and 20 a minute in one group. python-telegram-bot's AIORateLimiter has no per-chat limit
and counts per process; this limiter keeps one schedule per bucket (global, chat, group) with
the generic cell rate algorithm: each request reserves the next free slot and waits until then.
With Redis the reservation is one atomic script shared by all replicas; without it, the schedule
lives in the process (the embedded, single-adapter setup). A 429 with ``retry_after`` is waited
out and the request retried, so the message is not dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

# Reserve a slot: KEYS[1] bucket; ARGV: now (ms), interval (ms), burst tolerance (ms).
# Returns how long (ms) the caller must wait before sending.
_GCRA = """
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + interval + 1000))
return math.floor(wait)
"""


@dataclass(frozen=True)
class Limit:
    """A rate: one request per ``interval_s``, with bursts of ``burst`` requests."""

    interval_s: float
    burst: int = 1

    @property
    def tolerance_s(self) -> float:
        """How far ahead of the schedule a burst may run."""
        return self.interval_s * (self.burst - 1)


class MemorySchedule:
    """GCRA reservations kept in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """``clock`` returns seconds (monotonic)."""
        self._tat: dict[str, float] = {}
        self._clock = clock

    async def reserve(self, key: str, limit: Limit) -> float:
        """Reserve the next slot of ``key``; return the seconds to wait before using it."""
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        wait = max(0.0, tat - limit.tolerance_s - now)
        self._tat[key] = tat + limit.interval_s
        return wait


class RedisSchedule:
    """GCRA reservations in Redis, shared by every replica.

    While Redis is unreachable, reservations fall back to this process's own schedule (the
    limits then hold per replica) rather than failing the message.
    """

    def __init__(self, url: str, prefix: str = "emergebot:rate:") -> None:
        """Connect lazily to ``url``."""
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(_GCRA)
        self._prefix = prefix
        self._fallback = MemorySchedule()

    async def reserve(self, key: str, limit: Limit) -> float:
        """Reserve the next slot of ``key``; return the seconds to wait before using it."""
        from redis.exceptions import RedisError

        now_ms = time.time() * 1000
        try:
            wait_ms = await self._script(
                keys=[self._prefix + key],
                args=[now_ms, limit.interval_s * 1000, limit.tolerance_s * 1000],
            )
        except (RedisError, OSError) as error:
            logger.warning("Redis unavailable for rate limits, limiting per replica: %s", error)
            return await self._fallback.reserve(key, limit)
        return float(wait_ms) / 1000

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.close()


class SharedRateLimiter(BaseRateLimiter[int]):
    """Global, per-chat and per-group limits; 429s waited out and retried."""

    def __init__(
        self,
        schedule: MemorySchedule | RedisSchedule,
        per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: float = 20.0,
        max_retries: int = 5,
    ) -> None:
        """Set the limits; ``schedule`` keeps the reservations."""
        self._schedule = schedule
        self._global = Limit(1 / per_second, burst=max(1, int(per_second)))
        self._chat = Limit(1 / chat_per_second, burst=chat_burst)
        self._group = Limit(60 / group_per_minute, burst=3)
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open: the schedule connects lazily."""

    async def shutdown(self) -> None:
        """Close the schedule's connection, if any."""
        if isinstance(self._schedule, RedisSchedule):
            await self._schedule.close()

    async def _wait_for_slots(self, chat_id: Any) -> None:
        waits = [await self._schedule.reserve("global", self._global)]
        if chat_id is not None:
            group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
            key = f"{'group' if group else 'chat'}:{chat_id}"
            waits.append(await self._schedule.reserve(key, self._group if group else self._chat))
        delay = max(waits)
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the request's slots, send it, and wait out 429s."""
        # Long polling and answers to button presses are not messages to a chat.
        limited = endpoint not in ("getUpdates", "answerCallbackQuery", "getMe", "setWebhook",
                                   "deleteWebhook", "setMyCommands", "getWebhookInfo")
        chat_id = data.get("chat_id")
        try:
            chat_id = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            pass  # "@channelname": a group-like string id
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            if limited:
                await self._wait_for_slots(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                delay = error.retry_after
                seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else delay
                logger.info("flood control on %s: waiting %.1f s", endpoint, seconds)
                await asyncio.sleep(float(seconds) + 0.05)
        raise AssertionError("unreachable")


def make_rate_limiter(settings: Any) -> SharedRateLimiter:
    """The limiter for these settings: Redis-backed when REDIS_URL is set."""
    schedule: MemorySchedule | RedisSchedule = (
        RedisSchedule(settings.redis_url) if settings.redis_url else MemorySchedule())
    return SharedRateLimiter(
        schedule,
        per_second=settings.rate_global_per_s,
        chat_per_second=settings.rate_chat_per_s,
        chat_burst=settings.rate_chat_burst,
        group_per_minute=settings.rate_group_per_min,
    )
