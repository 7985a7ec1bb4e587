"""The founder's side of the staff desk in the adapter: where a founder's message goes.

While a founder has an open ticket, their messages go to the desk, never to Rasa's dialogue:
the ticket in the database decides, so neither a new Rasa session nor a restart can unpause
the conversation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.desk_operations import run
from bot.replying import say
from bot.resources import BotContext
from hubdata.db import transaction
from hubdata.desk import announcements, outbox, queries, ticket_messages
from hubdata.desk.transcript import ESCAPE
from hubdata.models import Ticket, utcnow

logger = logging.getLogger(__name__)
ASK_FOR_PERSON = "/request_human"


async def open_ticket(context: BotContext, update: Update) -> Ticket | None:
    """The open ticket of the update's sender, if any."""
    user = update.effective_user
    if user is None:
        return None
    async with transaction(context.sessions) as session:
        return await queries.open_for(session, user.id)


@dataclass
class Routing:
    """Where a founder's message goes, read in the transaction that starts the turn."""

    ticket: Ticket | None  # open: the desk takes the message
    outbox_waiting: bool  # desk events for Rasa not delivered yet: deliver them first


async def routing(context: BotContext, session: AsyncSession, user_id: int) -> Routing:
    """The founder's open ticket, and whether the outbox holds events for their conversation."""
    ticket = await queries.open_for(session, user_id)
    waiting = False
    if ticket is None:
        waiting = bool(await outbox.due(session, context.delivery.clock() + timedelta(days=1),
                                        limit=1, conversation_id=str(user_id)))
    return Routing(ticket, waiting)


async def intercept(context: BotContext, update: Update, text: str, route: Routing) -> bool:
    """Route a founder's message to the desk if they have an open ticket.

    Args:
        route: What ``routing`` read at the start of the turn.

    Returns:
        True if the desk took the message (Rasa must not see it).
    """
    user = update.effective_user
    if user is None:
        return False
    ticket = route.ticket
    if ticket is None:
        if route.outbox_waiting:
            await context.delivery.flush(str(user.id))  # resume Rasa before it hears the founder
        return False
    if text.startswith("/"):  # a button or /human: the dialogue is paused
        msgid = "escalation.already_open" if text == ASK_FOR_PERSON else "desk.bot_paused"
        await say(context, update, msgid, ticket.language)
        return True
    done = await run(context, lambda session: ticket_messages.founder_wrote(
        session, user.id, text.replace(ESCAPE, "", 1), now=utcnow()))
    if not done.result.ok:
        return False  # closed in the meantime: the bot answers
    return True


async def opened_by_turn(session: AsyncSession, user_id: int, full_name: str) -> int | None:
    """After Rasa answered: the ticket the turn opened, not yet announced to staff (named
    after the founder now), or None."""
    ticket = await queries.open_for(session, user_id)
    if ticket is None or ticket.announced_at is not None:
        return None
    if ticket.founder_name is None:
        await announcements.name_founder(session, int(ticket.id), full_name)
    return int(ticket.id)


async def announce_opened(context: BotContext, ticket_id: int, full_name: str) -> None:
    """Announce a ticket the turn opened to staff, and deliver what that queued."""
    await context.delivery.announce(ticket_id, founder_name=full_name)
    await context.delivery.flush()


async def founder_media(context: BotContext, update: Update) -> bool:
    """A founder with an open ticket sent a photo, sticker or file: ask for words instead."""
    ticket = await open_ticket(context, update)
    if ticket is None:
        return False
    await say(context, update, "desk.founder_media", ticket.language)
    return True
