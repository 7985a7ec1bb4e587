"""Sending to a chat: one message (HTML, or plain text when Telegram cannot parse it), a
localised message id, a rendered reply with its buttons; and the language to speak."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot import render, telegram_html
from bot.resources import BotContext
from hubdata import founders
from hubdata.db import transaction

logger = logging.getLogger(__name__)


async def deliver(
    context: BotContext, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send one message (the rate limiter waits out flood control); a blocked bot is logged;
    HTML that Telegram cannot parse is sent again as plain text."""
    try:
        try:
            await context.bot.send_message(
                chat_id, render.clip(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                disable_web_page_preview=True,
            )
        except BadRequest as error:
            if not telegram_html.is_parse_error(error):
                raise
            logger.warning("chat %s: Telegram could not parse a reply's HTML (%s); sending "
                           "it as plain text", chat_id, error.message)
            await context.bot.send_message(chat_id, telegram_html.as_plain(text),
                                           reply_markup=markup, disable_web_page_preview=True)
    except Forbidden:
        logger.info("chat %s blocked the bot; reply not delivered", chat_id)


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


async def send_reply(context: BotContext, update: Update, reply: render.Reply) -> None:
    """Send a rendered reply with its buttons to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    async with transaction(context.sessions) as session:
        markup = await render.keyboard(session, chat.id, reply)
    await deliver(context, chat.id, reply.text, markup)
