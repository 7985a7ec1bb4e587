"""Update processing: recorded first, handled once, one chat in order, chats in parallel."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from hubdata import updates as inbox
from hubdata.db import transaction

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How the handling of one update ended; handlers set it through ``current_outcome()``."""

    attempt: int = 1
    retry: bool = False
    failed: bool = False
    error: str | None = None


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


class InboxUpdateProcessor(BaseUpdateProcessor):
    """Records each update before handling it and marks it done, for retry, or failed.

    Updates of one chat are handled one after another, in order; different chats in parallel.
    A duplicate of an update already done is dropped.
    """

    def __init__(
        self,
        sessions: Callable[[], sessionmaker | None],
        max_concurrent_updates: int = 64,
        retry_interval_s: float = 10.0,
    ) -> None:
        """``sessions`` returns the session factory once post_init has opened it."""
        super().__init__(max_concurrent_updates)
        self._sessions = sessions
        self._retry_interval_s = retry_interval_s
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Record, handle in chat order, and mark the update."""
        if not isinstance(update, Update):
            await coroutine
            return
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._process(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _process(self, update: Update, coroutine: Awaitable[Any]) -> None:
        sessions = self._sessions()
        outcome = Outcome()
        recorded = False
        if sessions is not None:
            try:
                async with transaction(sessions) as session:
                    chat = update.effective_chat.id if update.effective_chat else None
                    row = await inbox.record(session, update.update_id, chat, update.to_dict())
                    if row is None:
                        logger.info("update %s was already handled: dropped", update.update_id)
                        _close(coroutine)
                        return
                    await inbox.start_attempt(session, update.update_id)
                    outcome.attempt = row.attempts or 1
                recorded = True
            except SQLAlchemyError:
                logger.exception("could not record update %s", update.update_id)
        token = _OUTCOME.set(outcome)
        try:
            await coroutine
        finally:
            _OUTCOME.reset(token)
        if not recorded or sessions is None:
            return
        status = inbox.RETRY if outcome.retry else inbox.FAILED if outcome.failed else inbox.DONE
        try:
            async with transaction(sessions) as session:
                await inbox.finish(session, update.update_id, status, outcome.error,
                                   self._retry_interval_s)
        except SQLAlchemyError:
            logger.exception("could not mark update %s %s", update.update_id, status)


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
