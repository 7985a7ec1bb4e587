"""The adapter's life: open its resources, start it, stop it (``bot.polling`` and
``bot.webhook`` serve in between).

Everything is entered on one ``AsyncExitStack``, so it is closed in reverse order on stop:

1. the Bot API client and its metrics (nothing opened yet);
2. the resources (``bot.resources.open_resources``): database, Redis, the Rasa clients;
3. the application (``initialize``/``shutdown``: the Bot API client's connections);
4. start-up work: the founder command menus, the updates a stop left unfinished;
5. the staff desk's delivery loop and the operations server;
6. the application's update processing, then the background loops (retries, retention).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, make_bot
from bot.command_menus import set_founder_menus
from bot.ops import AdapterMetrics
from bot.processor import LoggedUpdateProcessor
from bot.resources import BotResources, open_resources
from hubdata import retention
from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.heap import freeze_heap
from hubdata.settings import Settings

logger = logging.getLogger(__name__)


@asynccontextmanager
async def running(settings: Settings, replica: int = 0) -> AsyncIterator[Application]:
    """The adapter (replica ``replica``), started; stopped and closed on leaving."""
    async with AsyncExitStack() as stack:
        application = await assemble(stack, settings, replica)
        resources: BotResources = application.bot_data
        await stack.enter_async_context(application)
        await set_founder_menus(application.bot, resources.catalogs)
        await requeue(application, (update_log.PENDING, update_log.RETRY))
        await resources.delivery.start()
        stack.push_async_callback(resources.delivery.stop)
        await resources.ops.start()
        stack.push_async_callback(resources.ops.stop)
        await application.start()
        stack.push_async_callback(application.stop)
        in_background(stack, retry_loop(application), "retry-unfinished-updates")
        in_background(stack, prune_loop(resources), "prune-past-retention")
        freeze_heap()  # what start-up loaded stays out of the garbage collector's walks
        yield application


async def assemble(stack: AsyncExitStack, settings: Settings, replica: int = 0) -> Application:
    """Open the adapter's resources on ``stack`` and build its application on them; nothing
    talks to Telegram and nothing runs yet."""
    metrics = AdapterMetrics()
    bot = make_bot(settings, metrics)
    resources = await open_resources(stack, settings, bot, metrics, replica)
    return build_application(resources, bot)


def in_background(stack: AsyncExitStack, job: Coroutine[Any, Any, None], name: str) -> None:
    """Run ``job`` until the stack closes, then cancel it and wait for it to end."""
    task = asyncio.create_task(job, name=name)

    async def cancel() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(cancel)


async def until_stopped() -> None:
    """Wait for SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def requeue(application: Application, statuses: tuple[str, ...]) -> int:
    """Put recorded but unfinished updates back in the queue; return how many."""
    resources: BotResources = application.bot_data
    async with transaction(resources.sessions) as session:
        bot_id = update_log.bot_id_from_token(application.bot.token)
        await update_log.adopt(session, bot_id)
        rows = await update_log.unfinished(session, statuses, bot_id=bot_id)
        payloads = [row.payload for row in rows]
    processor = application.update_processor
    if isinstance(processor, LoggedUpdateProcessor):
        processor.resume([int(payload["update_id"]) for payload in payloads])
    for payload in payloads:
        await application.update_queue.put(Update.de_json(payload, application.bot))
    if payloads:
        logger.info("resumed %d unfinished update(s)", len(payloads))
    return len(payloads)


async def retry_loop(application: Application) -> None:
    """Every few seconds, retry updates that failed because Rasa was unavailable."""
    interval = application.bot_data.settings.retry_interval_s
    while True:
        await asyncio.sleep(interval)
        try:
            await requeue(application, (update_log.RETRY,))
        except Exception:  # noqa: BLE001 - keep retrying whatever went wrong this round
            logger.exception("retry round failed")


async def prune_loop(resources: BotResources) -> None:
    """Enforce the retention policy now and every few hours, one replica at a time."""
    settings = resources.settings
    interval_s = settings.retention.interval_h * 3600
    while True:
        try:
            if await _prune_turn(resources.redis, interval_s):
                await retention.prune_all(resources.sessions, settings)
        except Exception:  # noqa: BLE001 - try again next round whatever went wrong
            logger.exception("pruning past retention failed")
        await asyncio.sleep(interval_s)


async def _prune_turn(redis: Redis | None, interval_s: float) -> bool:
    """Whether this replica prunes this round: with Redis, the first to take the round's key;
    without (one adapter), always."""
    if redis is None:
        return True
    return bool(await redis.set("emergebot:prune", "1", nx=True,
                                px=max(int(interval_s * 900), 1000)))
