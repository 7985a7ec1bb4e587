"""The founder's turn: choose the language, ask Rasa, deliver the rendered replies."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter

from bot import render
from bot.processor import current_outcome
from bot.rasa_client import NLUUnavailable
from bot.resources import BotContext
from hubdata import founders
from hubdata.db import transaction

logger = logging.getLogger(__name__)
SEND_ATTEMPTS = 3


async def deliver(
    context: BotContext, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send one message, waiting out Telegram's flood control; a blocked bot is only logged."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await context.bot.send_message(
                chat_id, render.clip(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                disable_web_page_preview=True,
            )
            return
        except RetryAfter as error:
            if attempt == SEND_ATTEMPTS:
                raise
            delay = error.retry_after
            seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
            await asyncio.sleep(seconds)
        except Forbidden:
            logger.info("chat %s blocked the bot; reply not delivered", chat_id)
            return


async def language_of(context: BotContext, update: Update, detected: str | None = None) -> str:
    """The reply language for this update's founder (see founders.reply_language)."""
    user = update.effective_user
    code = user.language_code if user else None
    if user is None:
        return founders.reply_language(None, detected, code)
    async with transaction(context.sessions) as session:
        founder = await founders.get(session, user.id)
        return founders.reply_language(founder, detected, code)


async def say(context: BotContext, update: Update, msgid: str, lang: str | None = None,
              **params: Any) -> None:
    """Send one localised message id to the update's chat (no buttons)."""
    if update.effective_chat is None:
        return
    lang = lang or await language_of(context, update)
    text = render.html.escape(context.catalogs.render(lang, msgid, params))
    await deliver(context, update.effective_chat.id, text)


async def send_replies(
    context: BotContext, chat_id: int, lang: str, replies: list[dict[str, Any]]
) -> None:
    """Render Rasa's replies (and their search pages) and send them."""
    outgoing: list[tuple[str, InlineKeyboardMarkup | None]] = []
    async with transaction(context.sessions) as session:
        for message in replies:
            reply = render.from_rasa(context.catalogs, lang, message)
            custom = message.get("custom") or {}
            search_id = custom.get("search_id") if isinstance(custom, dict) else None
            if isinstance(search_id, int):
                page = await render.search_page(
                    session, context.catalogs, lang, search_id, 0, intro=reply.text
                )
                if page is not None:
                    page.buttons = reply.buttons
                    reply = page
            if reply.text or reply.buttons:
                outgoing.append((reply.text, await render.keyboard(session, chat_id, reply)))
    for text, markup in outgoing:
        await deliver(context, chat_id, text, markup)


async def founder_turn(
    context: BotContext, update: Update, text: str, *, detected: str | None = None
) -> None:
    """Send the founder's text (or a trusted button payload) to Rasa and deliver its replies."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with transaction(context.sessions) as session:
        founder = await founders.get_or_create(session, user.id)
        founder.chat_id = chat.id
        founder.telegram_language = user.language_code
        if detected:
            founder.detected_language = detected
        lang = founders.reply_language(founder, detected, user.language_code)
    metadata = {
        "update_id": update.update_id,
        "chat_id": chat.id,
        "reply_language": lang,
        "telegram_language": user.language_code,
    }
    outcome = current_outcome()
    try:
        replies = await context.rasa.send(str(user.id), text, metadata)
    except NLUUnavailable as error:
        logger.warning("Rasa unavailable for update %s: %s", update.update_id, error)
        outcome.retry, outcome.error = True, str(error)
        if outcome.attempt <= 1:
            await say(context, update, "error.nlu_unavailable", lang)
        return
    lang = await language_of(context, update, detected)  # the turn may have changed it
    if not replies:  # Rasa answered nothing: an action failed (the action server is down?)
        logger.error("Rasa gave no reply to update %s", update.update_id)
        outcome.failed, outcome.error = True, "no reply from Rasa"
        await say(context, update, "error.internal", lang)
        return
    await send_replies(context, chat.id, lang, replies)

