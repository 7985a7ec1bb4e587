"""One staff-desk operation from the adapter: run it in a transaction, then deliver what it
queued in the outbox (a concurrent change of the same ticket is a refusal, nothing half done)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.resources import BotContext
from hubdata.db import transaction
from hubdata.desk.results import Notice, Result

logger = logging.getLogger(__name__)


@dataclass
class Done:
    """A desk operation, committed and delivered."""

    result: Result
    outcomes: dict[int, str] = field(default_factory=dict)  # outbox row id -> how it went


async def run(context: BotContext, operation: Callable[[AsyncSession], Awaitable[Result]]
              ) -> Done:
    """Run one desk operation in a transaction, then deliver what it queued.

    A concurrent change of the same ticket (from the console, say) makes it a refusal with the
    "desk.conflict" notice; nothing is half done.
    """
    try:
        async with transaction(context.sessions) as session:
            result = await operation(session)
    except StaleDataError:
        logger.info("concurrent change of a ticket; refused")
        result = Result(ok=False, notice=Notice("desk.conflict"))
    outcomes = await context.delivery.flush() if result.deliveries else {}
    return Done(result, outcomes)
