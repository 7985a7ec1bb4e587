"""A founder's own data: /privacy (what is kept), /mydata (a copy), /forget (erase it all)."""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta, timezone

from telegram import Update

from bot import render
from bot.replying import language_of, say, send_reply
from bot.resources import BotContext
from hubdata import privacy
from hubdata.desk.results import Actor
from hubdata.models import utcnow

logger = logging.getLogger(__name__)
CONFIRM_WITHIN = timedelta(minutes=10)  # an older "yes, erase" button is stale


def notice_params(context: BotContext) -> dict[str, object]:
    """The retention limits the privacy notice quotes, in days."""
    policy = context.resources.settings.retention
    return {"conversation_days": int(policy.conversations_days),
            "ticket_days": int(policy.resolved_tickets_days)}


async def privacy_command(update: Update, context: BotContext) -> None:
    """/privacy: what is kept, for how long, who sees it, how to get or erase it."""
    await say(context, update, "privacy.full", **notice_params(context))


async def mydata_command(update: Update, context: BotContext) -> None:
    """/mydata: send the founder, as a document, everything kept about them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    lang = await language_of(context, update)
    text = await privacy.export_document(context.sessions, context.resources.settings, user.id)
    document = io.BytesIO(text.encode("utf-8"))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    await context.bot.send_document(
        chat.id, document, filename=f"mydata-{stamp}.json",
        caption=context.catalogs.render(lang, "mydata.caption"))


async def forget_command(update: Update, context: BotContext) -> None:
    """/forget: ask for confirmation with buttons before erasing anything."""
    lang = await language_of(context, update)
    catalogs = context.catalogs
    at = utcnow().isoformat()
    await send_reply(context, update, render.Reply(
        text=render.html.escape(catalogs.render(lang, "forget.ask")),
        buttons=[(catalogs.render(lang, "forget.yes"), {"kind": "forget", "at": at}),
                 (catalogs.render(lang, "forget.no"), {"kind": "forget_cancel"})]))


async def confirm_forget(update: Update, context: BotContext, asked_at: str) -> None:
    """Erase the founder's data everywhere, then confirm in their language.

    Rasa's tracker store goes first: if Rasa cannot be reached nothing is erased and the
    founder is asked to try again, so an erasure is never half done without them knowing.
    """
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    lang = await language_of(context, update)  # before the profile is gone
    try:
        asked = datetime.fromisoformat(asked_at)
    except ValueError:
        asked = datetime.min.replace(tzinfo=timezone.utc)
    if utcnow() - asked > CONFIRM_WITHIN:
        await say(context, update, "forget.stale", lang)
        return
    try:
        counts = await privacy.forget_founder(context.sessions, context.resources.settings,
                                              user.id, Actor(user.id, "telegram"))
    except privacy.ErasureUnavailable as error:
        logger.warning("erasure postponed: %s", error)
        await say(context, update, "forget.unavailable", lang)
        return
    logger.info("erased a founder's data: %s", counts)
    await say(context, update, "forget.done", lang)
    # sending that reply scheduled the chat in the shared rate limiter: clear it too
    await privacy.forget_redis_keys(context.resources.settings.redis_url, chat.id)


# Founder commands of this module, in their menu order (bot/handlers/commands lists them last).
COMMAND_HANDLERS = {
    "privacy": privacy_command,
    "mydata": mydata_command,
    "forget": forget_command,
}
