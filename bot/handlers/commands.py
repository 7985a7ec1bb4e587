"""The adapter's own commands: /start, /help, /language, /profile, /human."""

from __future__ import annotations

import logging

from sqlalchemy.orm.exc import StaleDataError
from telegram import Update

from bot import render
from bot.founder_turn import founder_turn
from bot.handlers import privacy
from bot.replying import language_of, say, send_reply
from bot.resources import BotContext
from hubdata import founders, geo
from hubdata.catalog import INTENT_TOPICS
from hubdata.db import transaction
from hubdata.desk import queries
from hubdata.i18n import language_name
from hubdata.lexicon.normalisation import normalise
from hubdata.models import SECTORS, STAGES
from hubdata.settings import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)


def topic_reply(context: BotContext, lang: str, msgid: str) -> render.Reply:
    """A message with one button per topic, each asking Rasa about it."""
    return render.Reply(
        text=render.html.escape(context.catalogs.render(lang, msgid)),
        buttons=[
            (context.catalogs.render(lang, f"topic.{topic}"),
             {"kind": "say", "payload": f"/{intent}"})
            for intent, topic in INTENT_TOPICS.items()
        ],
    )


async def start(update: Update, context: BotContext) -> None:
    """Welcome the founder, say in short what is kept about them, and show the topics."""
    lang = await language_of(context, update)
    reply = topic_reply(context, lang, "start")
    reply.text += "\n\n" + render.html.escape(context.catalogs.render(lang, "privacy.short"))
    await send_reply(context, update, reply)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot does and list the commands."""
    lang = await language_of(context, update)
    await send_reply(context, update, topic_reply(context, lang, "help.commands"))


def language_reply(context: BotContext, lang: str) -> render.Reply:
    """The language choice, each language named in itself."""
    return render.Reply(
        text=render.html.escape(context.catalogs.render(lang, "language.choose")),
        buttons=[(language_name(code), {"kind": "language", "language": code})
                 for code in SUPPORTED_LANGUAGES],
    )


async def set_language(context: BotContext, update: Update, code: str) -> None:
    """Record the founder's language choice and confirm it in that language."""
    user = update.effective_user
    assert user is not None
    async with transaction(context.sessions) as session:
        await founders.set_language(session, user.id, code)
    try:  # an open ticket speaks to the founder in the language they chose, from now on
        async with transaction(context.sessions) as session:
            ticket = await queries.open_for(session, user.id)
            if ticket is not None:
                ticket.language = code
    except StaleDataError:  # staff changed the ticket at that moment: it keeps its language
        logger.info("ticket of %s changed meanwhile; its language stays", user.id)
    await say(context, update, "language.changed", code, language=code)


async def language_command(update: Update, context: BotContext) -> None:
    """/language [code]: set the reply language, or offer the choices."""
    wanted = (context.args or [""])[0].lower()
    code = wanted if wanted in SUPPORTED_LANGUAGES else normalise("language", wanted)
    if code in SUPPORTED_LANGUAGES:
        await set_language(context, update, code)
        return
    lang = await language_of(context, update)
    await send_reply(context, update, language_reply(context, lang))


async def profile_reply(context: BotContext, update: Update) -> render.Reply:
    """The founder's profile with buttons to change each field."""
    user = update.effective_user
    assert user is not None
    async with transaction(context.sessions) as session:
        founder = await founders.get_or_create(session, user.id)
        lang = founders.reply_language(founder, None, user.language_code)
        params = {"country": founder.country, "sector": founder.sector, "stage": founder.stage,
                  "language": lang}
    catalogs = context.catalogs
    return render.Reply(
        text=render.html.escape(catalogs.render(lang, "profile.show", params)),
        buttons=[
            (catalogs.render(lang, "profile.change_country"),
             {"kind": "profile_field", "field": "country"}),
            (catalogs.render(lang, "profile.change_sector"),
             {"kind": "profile_field", "field": "sector"}),
            (catalogs.render(lang, "profile.change_stage"),
             {"kind": "profile_field", "field": "stage"}),
            (catalogs.render(lang, "profile.change_language"), {"kind": "language_menu"}),
            (catalogs.render(lang, "profile.clear"), {"kind": "profile_clear"}),
        ],
    )


def profile_value(field: str, text: str) -> str | None:
    """Normalise a typed profile value: a country name, a sector or a stage."""
    text = text.strip()
    if field == "stage":
        return text.lower() if text.lower() in STAGES else None
    if field == "sector" and text.lower() in SECTORS:
        return text.lower()
    if field == "country" and geo.is_country(text.upper()):
        return text.upper()
    return normalise(field, text)


async def profile_command(update: Update, context: BotContext) -> None:
    """/profile [country|sector|stage VALUE]: show the profile, or change one field."""
    args = context.args or []
    if len(args) >= 2 and args[0].lower() in founders.PROFILE_FIELDS:
        field = args[0].lower()
        value = profile_value(field, " ".join(args[1:]))
        if value is None:
            await say(context, update, "profile.invalid", field=field)
            return
        user = update.effective_user
        assert user is not None
        async with transaction(context.sessions) as session:
            await founders.update_profile(session, user.id, **{field: value})
    await send_reply(context, update, await profile_reply(context, update))


async def human_command(update: Update, context: BotContext) -> None:
    """/human: ask for a person, through the same path as asking in words."""
    await founder_turn(context, update, "/request_human")


# The founder commands' handlers (their menu is bot.command_menus.FOUNDER_COMMANDS).
COMMAND_HANDLERS = {
    "start": start,
    "help": help_command,
    "language": language_command,
    "profile": profile_command,
    "human": human_command,
    **privacy.COMMAND_HANDLERS,
}
