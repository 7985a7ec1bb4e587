"""Update processing: recorded first, handled once, one chat in order, chats in parallel."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.flood import FloodGate, Verdict
from hubdata import replies as bot_replies
from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.updates import bot_id_from_token

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How the handling of one update ended; handlers set it through ``current_outcome()``."""

    attempt: int = 1
    retry: bool = False
    failed: bool = False
    error: str | None = None
    # The update's stored replies that went out (their seq); with ``marks_sent`` the processor
    # marks them sent in the transaction that finishes the update (one commit, not two).
    sent: list[int] = field(default_factory=list)
    marks_sent: bool = False


_OUTCOME: contextvars.ContextVar[Outcome] = contextvars.ContextVar("outcome")


def current_outcome() -> Outcome:
    """The outcome record of the update being handled (a throwaway one outside processing)."""
    try:
        return _OUTCOME.get()
    except LookupError:
        return Outcome()


def chat_key(update: Update) -> int:
    """The key that orders updates: the chat, else the user, else nothing in particular."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


class LoggedUpdateProcessor(BaseUpdateProcessor):
    """Records each update before handling it and marks it done, for retry, or failed.

    Updates of one chat are handled one after another, in order; different chats in parallel.
    A duplicate of an update already done is dropped.
    """

    def __init__(
        self,
        sessions: sessionmaker,
        max_concurrent_updates: int = 64,
        retry_interval_s: float = 10.0,
        redis: Redis | None = None,
        flood_per_minute: int = 0,
        on_flood: Callable[[Update], Awaitable[None]] | None = None,
    ) -> None:
        """Record updates with ``sessions``.

        With ``redis`` (replicas share chats), a chat's updates are also ordered across adapter
        replicas by a Redis lock per chat (webhook mode spreads one chat's updates over
        replicas), and flood control counts across replicas. ``flood_per_minute`` (0: no limit)
        caps a private chat's updates per minute; the excess is dropped unrecorded, and
        ``on_flood`` is called with the first one dropped in each minute (to tell the founder).
        """
        super().__init__(max_concurrent_updates)
        # Our own slots, taken once a chat's turn has come: an update waiting behind earlier
        # ones of its chat holds none, so a long burst from one chat cannot starve the others.
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._on_flood = on_flood
        self._flood = FloodGate(flood_per_minute, redis)
        self._resumed: set[int] = set()
        self._sessions = sessions
        self._retry_interval_s = retry_interval_s
        self._redis = redis
        # The application this processor serves, set by ``bot.app.build_application`` (it is
        # built with its processor): earlier updates of a chat are handled through it.
        self.application: Any = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._bot_ids: tuple[str, int] = ("", 0)  # the bot's token and the id it names

    async def initialize(self) -> None:
        """Nothing to open: the adapter's resources hold the database and Redis."""

    async def shutdown(self) -> None:
        """Nothing to close (see ``initialize``)."""

    def resume(self, update_ids: list[int]) -> None:
        """These recorded updates come back to be handled (a restart, a retry): they pass
        flood control whatever the chat's rate."""
        self._resumed.update(update_ids)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update, taking one of the slots only once its chat's turn has come."""
        await self.do_process_update(update, coroutine)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Judge the chat's rate, then record, handle in chat order, and mark the update."""
        if not isinstance(update, Update):
            async with self._slots:
                await coroutine
            return
        if not await self._admitted(update):
            _close(coroutine)
            return
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._chat_lock(key), self._slots:
                await self._process(update, coroutine, catch_up=True)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _admitted(self, update: Update) -> bool:
        """Whether a private chat is within its rate (groups and channels are not limited)."""
        chat = update.effective_chat
        if update.update_id in self._resumed:  # recorded before: a retry, never dropped
            self._resumed.discard(update.update_id)
            return True
        if chat is None or chat.type != ChatType.PRIVATE:
            return True
        verdict = await self._flood.verdict(chat.id)
        if verdict is Verdict.ADMIT:
            return True
        logger.info("chat %s over its rate: update %s dropped", chat.id, update.update_id)
        if verdict is Verdict.DROP_AND_TELL and self._on_flood is not None:
            try:
                await self._on_flood(update)
            except Exception:  # noqa: BLE001 - telling is best effort; the drop stands
                logger.exception("could not tell chat %s about its rate", chat.id)
        return False

    async def _catch_up(self, earlier: list[dict[str, Any]]) -> None:
        """Handle a chat's earlier unfinished updates first, oldest first: those another
        replica received but has not handled yet, and those waiting for a retry. One chat's
        messages are answered in the order they were sent, across replicas and retries."""
        for payload in earlier:
            other = Update.de_json(payload, self.application.bot)
            await self._process(other, self.application.process_update(other))

    @contextlib.asynccontextmanager
    async def _chat_lock(self, key: int) -> AsyncIterator[None]:
        """A lock on the chat shared by every replica (Redis), or a no-op without Redis.

        If Redis is unreachable the update is still handled, ordered within this process only.
        """
        if self._redis is None:
            yield
            return
        from redis.exceptions import RedisError

        lock = self._redis.lock(f"emergebot:chat:{key}", timeout=120, blocking_timeout=120)
        try:
            acquired = await lock.acquire()
        except RedisError as error:
            logger.warning("Redis unavailable, chat %s ordered in this replica only: %s",
                           key, error)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                try:
                    await lock.release()
                except RedisError as error:
                    logger.warning("could not release the lock of chat %s: %s", key, error)

    async def _process(
        self, update: Update, coroutine: Awaitable[Any], catch_up: bool = False
    ) -> None:
        """Record the update, handle it, mark it; with ``catch_up``, first handle the chat's
        earlier unfinished updates (found in the same transaction that records this one)."""
        sessions = self._sessions
        outcome = Outcome()
        bot_id = self._bot_id()
        recorded = duplicate = False
        earlier: list[dict[str, Any]] = []
        try:
            async with transaction(sessions) as session:
                chat = update.effective_chat.id if update.effective_chat else None
                if catch_up and chat is not None and self.application is not None:
                    rows = await update_log.earlier_pending(session, chat, update.update_id,
                                                       bot_id=bot_id)
                    earlier = [row.payload for row in rows]
                attempt = await update_log.record_attempt(session, update.update_id, chat,
                                                     update.to_dict(), bot_id=bot_id)
                if attempt is None:
                    duplicate = True
                else:
                    outcome.attempt = attempt
            recorded = not duplicate
        except SQLAlchemyError:
            logger.exception("could not record update %s", update.update_id)
        if earlier:
            await self._catch_up(earlier)
        if duplicate:
            logger.info("update %s was already handled: dropped", update.update_id)
            _close(coroutine)
            return
        outcome.marks_sent = recorded
        token = _OUTCOME.set(outcome)
        try:
            await coroutine
        except BaseException:
            await self._mark_sent(update.update_id, outcome, bot_id)  # a retry sends the rest
            raise
        finally:
            _OUTCOME.reset(token)
        if not recorded:
            return
        status = (update_log.RETRY if outcome.retry
                  else update_log.FAILED if outcome.failed else update_log.DONE)
        try:
            async with transaction(sessions) as session:
                await update_log.finish(session, update.update_id, status, outcome.error,
                                        self._retry_interval_s, bot_id=bot_id)
                if outcome.sent:
                    await bot_replies.mark_sent(session, update.update_id, outcome.sent,
                                                bot_id=bot_id)
        except SQLAlchemyError:
            logger.exception("could not mark update %s %s", update.update_id, status)

    async def _mark_sent(self, update_id: int, outcome: Outcome, bot_id: int) -> None:
        """Mark the replies that went out before handling failed (the update stays open)."""
        if not outcome.marks_sent or not outcome.sent:
            return
        try:
            async with transaction(self._sessions) as session:
                await bot_replies.mark_sent(session, update_id, outcome.sent, bot_id=bot_id)
        except SQLAlchemyError:
            logger.exception("could not mark the replies of update %s sent", update_id)

    def _bot_id(self) -> int:
        """The id of the bot this processor serves (0 before the application is set)."""
        bot = getattr(self.application, "bot", None)
        if bot is None:
            return 0
        if self._bot_ids[0] != bot.token:
            self._bot_ids = (bot.token, bot_id_from_token(bot.token))
        return self._bot_ids[1]


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
