"""Inline buttons: the token in the callback data is checked against what the server stored."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import render
from bot.founder_turn import founder_turn
from bot.handlers import privacy, reporting, staff
from bot.handlers.commands import language_reply, profile_reply, set_language
from bot.replying import language_of, say, send_reply
from bot.resources import BotContext
from hubdata import callbacks, founders, geo
from hubdata.db import transaction
from hubdata.models import SECTORS, STAGES
from hubdata.settings import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)
PROFILE_COUNTRIES = ("KE", "NG", "GH", "ZA", "EG", "MA", "SN", "IN", "BR", "MX", "CO", "KZ")


async def handle_button(update: Update, context: BotContext) -> None:
    """Act on a button press; a stale or forged button gets a localised notice."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    try:
        async with transaction(context.sessions) as session:
            action = await callbacks.resolve(session, chat.id, query.data or "")
    except callbacks.InvalidCallback:
        logger.info("refused a stale or forged button in chat %s", chat.id)
        lang = await language_of(context, update)
        await query.answer(context.catalogs.render(lang, "button.expired"), show_alert=True)
        return
    if action.get("kind") in ("desk", "desk_rate"):  # the staff desk answers the query itself
        await staff.handle_desk_button(update, context, action)
        return
    try:
        await query.answer()
    except BadRequest as error:  # "query is too old": handled late (a retry); act anyway
        logger.info("button press answered too late: %s", error)
    await run_action(update, context, action)


async def run_action(update: Update, context: BotContext, action: dict[str, Any]) -> None:
    """Carry out the stored action of a button."""
    kind = action.get("kind")
    if kind == "say":
        await founder_turn(context, update, str(action["payload"]))
    elif kind == "page":
        await show_page(update, context, int(action["search_id"]), int(action["page"]),
                        action.get("intro"))
    elif kind == "language" and action.get("language") in SUPPORTED_LANGUAGES:
        await set_language(context, update, action["language"])
    elif kind == "language_menu":
        lang = await language_of(context, update)
        await send_reply(context, update, language_reply(context, lang))
    elif kind == "profile_field":
        await offer_profile_values(update, context, str(action["field"]))
    elif kind == "profile_set":
        await set_profile(update, context, {str(action["field"]): action.get("value")})
    elif kind == "profile_clear":
        await set_profile(update, context, {f: None for f in founders.PROFILE_FIELDS})
    elif kind == "forget":
        await privacy.confirm_forget(update, context, str(action.get("at") or ""))
    elif kind == "forget_cancel":
        await say(context, update, "forget.cancelled")
    elif kind == "report":
        await reporting.offer_reasons(update, context, str(action.get("resource_id")))
    elif kind == "report_reason":
        await reporting.take_reason(update, context, str(action.get("resource_id")),
                                    str(action.get("reason")))
    else:
        logger.error("unknown button action %r", action)


async def show_page(
    update: Update, context: BotContext, search_id: int, page: int, intro: str | None
) -> None:
    """Replace the results message with another page of the same search."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    lang = await language_of(context, update)
    async with transaction(context.sessions) as session:
        reply = await render.search_page(session, context.catalogs, lang, search_id, page, intro)
        markup = await render.keyboard(session, chat.id, reply) if reply else None
    if reply is None:
        await send_reply(context, update, render.Reply(
            render.html.escape(context.catalogs.render(lang, "button.expired"))))
        return
    try:
        await query.edit_message_text(render.clip(reply.text), parse_mode=ParseMode.HTML,
                                      reply_markup=markup, disable_web_page_preview=True)
    except BadRequest as error:  # "message is not modified" after a double tap
        logger.info("page not edited: %s", error)


async def offer_profile_values(update: Update, context: BotContext, field: str) -> None:
    """Offer the values of one profile field as buttons."""
    lang = await language_of(context, update)
    catalogs = context.catalogs
    if field == "country":
        options = [(geo.area_name(c, lang), c) for c in PROFILE_COUNTRIES]
    elif field == "sector":
        options = [(catalogs.render(lang, f"sector.{s}"), s) for s in SECTORS]
    elif field == "stage":
        options = [(catalogs.render(lang, f"stage.{s}"), s) for s in STAGES]
    else:
        return
    reply = render.Reply(
        text=render.html.escape(catalogs.render(lang, f"profile.choose_{field}")),
        buttons=[(label, {"kind": "profile_set", "field": field, "value": value})
                 for label, value in options],
    )
    await send_reply(context, update, reply)


async def set_profile(update: Update, context: BotContext, values: dict[str, Any]) -> None:
    """Change profile fields, then show the profile again."""
    user = update.effective_user
    assert user is not None
    async with transaction(context.sessions) as session:
        await founders.update_profile(session, user.id, **values)
    await send_reply(context, update, await profile_reply(context, update))
