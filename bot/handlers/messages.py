"""Founders' messages: text goes to Rasa; everything else gets a clear, localised answer."""

from __future__ import annotations

from telegram import Update

from bot import ticket_routing
from bot.founder_turn import founder_turn, start_turn
from bot.handlers import staff
from bot.replying import say
from bot.resources import BotContext
from hubdata import langid
from hubdata.db import transaction

# Rasa reads a message starting with "/" as an order ("/intent{...}"); a word joiner in front
# makes it ordinary text, which the NLU reads like any other words.
ESCAPE = "\u2060"


def escape_text(text: str) -> str:
    """Make user text safe from Rasa's "/intent{entities}" shortcut."""
    stripped = text.strip()
    return ESCAPE + stripped if stripped.startswith("/") else stripped


async def handle_text(update: Update, context: BotContext) -> None:
    """Send a founder's text message to the NLU and deliver the answer."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text[:context.resources.settings.max_text_chars]
    empty = not text.strip()
    detected = None if empty else langid.detect(text).language
    # One transaction tells staff from founders and, for a founder, starts the turn.
    async with transaction(context.sessions) as session:
        from_staff = await staff.sent_by_staff(session, update)
        start = (None if from_staff or empty
                 else await start_turn(session, context, update, detected))
    if from_staff:
        await staff.handle_staff_text(update, context)
    elif start is None:
        await say(context, update, "error.empty")
    else:
        await founder_turn(context, update, escape_text(text), detected=detected, start=start)


async def handle_non_text(update: Update, context: BotContext) -> None:
    """Answer stickers, photos, voice notes, locations and files: only text is understood."""
    if (await staff.handle_staff_media(update, context)
            or await ticket_routing.founder_media(context, update)):
        return
    await say(context, update, "error.non_text")


async def handle_edited(update: Update, context: BotContext) -> None:
    """Explain that edits are not read again."""
    await say(context, update, "error.edited")


async def handle_group(update: Update, context: BotContext) -> None:
    """Point people in groups to a private chat with the bot."""
    settings = context.resources.settings
    chat = update.effective_chat
    if chat is not None and chat.id == settings.staff_chat_id:
        return  # the staff group is the desk's, not a founder's chat
    await say(context, update, "error.group")
