"""Flood control per founder: beyond a set number of messages a minute, a chat's updates are
dropped unanswered, and the founder is told once per minute. Other chats are not slowed.

With Redis (several adapter replicas share chats) the count is shared: one counter per chat
and minute, kept two minutes. Without, each process counts alone (one adapter).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum
from typing import Any

logger = logging.getLogger(__name__)
WINDOW_S = 60


class Verdict(Enum):
    """What to do with one update."""

    ADMIT = "admit"
    DROP_AND_TELL = "drop_and_tell"  # the first one over the limit in this window
    DROP = "drop"


class FloodGate:
    """Counts a chat's updates per minute and says which ones go through."""

    def __init__(self, per_minute: int, redis: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        """``per_minute`` <= 0 admits everything; ``redis`` is a redis.asyncio client."""
        self._limit = per_minute
        self._redis = redis
        self._clock = clock
        self._counts: dict[tuple[int, int], int] = {}

    async def verdict(self, chat_id: int) -> Verdict:
        """Count one update of ``chat_id`` and judge it."""
        if self._limit <= 0:
            return Verdict.ADMIT
        window = int(self._clock() // WINDOW_S)
        count = await self._count(chat_id, window)
        if count <= self._limit:
            return Verdict.ADMIT
        return Verdict.DROP_AND_TELL if count == self._limit + 1 else Verdict.DROP

    async def _count(self, chat_id: int, window: int) -> int:
        if self._redis is not None:
            from redis.exceptions import RedisError

            key = f"emergebot:flood:{chat_id}:{window}"
            try:
                pipeline = self._redis.pipeline()
                pipeline.incr(key)
                pipeline.expire(key, 2 * WINDOW_S)
                count, _ = await pipeline.execute()
                return int(count)
            except (RedisError, OSError) as error:
                logger.warning("Redis unavailable for flood control, counting here: %s", error)
        if len(self._counts) > 10_000:  # forget past windows
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
        key_here = (chat_id, window)
        self._counts[key_here] = self._counts.get(key_here, 0) + 1
        return self._counts[key_here]
