"""The founder's side of the staff desk in the adapter, and how handlers call the desk.

While a founder has an open ticket, their messages go to the desk, never to Rasa's dialogue:
the ticket in the database decides, so neither a new Rasa session nor a restart can unpause
the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from telegram import Update

from bot.conversation import say
from bot.resources import BotContext
from hubdata.db import transaction
from hubdata.desk import conversation, tickets
from hubdata.desk.results import Notice, Result
from hubdata.desk.transcript import ESCAPE
from hubdata.models import Ticket, utcnow

logger = logging.getLogger(__name__)
ASK_FOR_PERSON = "/request_human"


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
    outcomes = await context.desk.flush() if result.deliveries else {}
    return Done(result, outcomes)


async def open_ticket(context: BotContext, update: Update) -> Ticket | None:
    """The open ticket of the update's sender, if any."""
    user = update.effective_user
    if user is None:
        return None
    async with transaction(context.sessions) as session:
        return await tickets.open_for(session, user.id)


async def intercept(context: BotContext, update: Update, text: str) -> bool:
    """Route a founder's message to the desk if they have an open ticket.

    Returns:
        True if the desk took the message (Rasa must not see it).
    """
    user = update.effective_user
    if user is None:
        return False
    ticket = await open_ticket(context, update)
    if ticket is None:
        if await context.desk.pending_for(str(user.id)):
            await context.desk.flush(str(user.id))  # resume Rasa before it hears the founder
        return False
    if text.startswith("/"):  # a button or /human: the dialogue is paused
        msgid = "escalation.already_open" if text == ASK_FOR_PERSON else "desk.bot_paused"
        await say(context, update, msgid, ticket.language)
        return True
    done = await run(context, lambda session: conversation.founder_wrote(
        session, user.id, text.replace(ESCAPE, "", 1), now=utcnow()))
    if not done.result.ok:
        return False  # closed in the meantime: the bot answers
    return True


async def after_turn(context: BotContext, update: Update) -> None:
    """After Rasa answered: if the turn opened a ticket, announce it to staff now."""
    user = update.effective_user
    if user is None:
        return
    async with transaction(context.sessions) as session:
        ticket = await tickets.open_for(session, user.id)
        if ticket is not None and ticket.founder_name is None:
            await tickets.name_founder(session, int(ticket.id), user.full_name)
        waiting = ticket is not None and ticket.announced_at is None
    if waiting:
        assert ticket is not None
        await context.desk.announce(int(ticket.id), founder_name=user.full_name)
        await context.desk.flush()


async def founder_media(context: BotContext, update: Update) -> bool:
    """A founder with an open ticket sent a photo, sticker or file: ask for words instead."""
    ticket = await open_ticket(context, update)
    if ticket is None:
        return False
    await say(context, update, "desk.founder_media", ticket.language)
    return True
