"""The Telegram adapter's application: the Bot API client, the handlers, the error handler.

Its resources are opened, and the application started and stopped, by ``bot.lifecycle``.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.command_menus import FOUNDER_COMMANDS, STAFF_COMMANDS
from bot.handlers import buttons, commands, messages, staff
from bot.ops import AdapterMetrics, CountingRequest, MeteredUpdateProcessor
from bot.processor import current_outcome
from bot.rate_limiter import make_rate_limiter
from bot.replying import say
from bot.resources import BotContext, BotResources
from bot.telegram_bot import SafeBot
from hubdata import founders
from hubdata.settings import DEFAULT_LANGUAGE, Settings

logger = logging.getLogger(__name__)
LOCAL_TOKEN = "123456:local-terminal-chat"  # accepted by the local fake Bot API only


def is_transient(error: BaseException | None) -> bool:
    """A database or network failure that a later attempt may not meet."""
    return isinstance(error, (OperationalError, InterfaceError, DisconnectionError, OSError))


async def on_error(update: object, context: BotContext) -> None:
    """Log every error with its context; tell the founder; retry what was transient."""
    outcome = current_outcome()
    if isinstance(context.error, BadRequest) and "query is too old" in str(context.error).lower():
        logger.info("a button press was answered too late (update %s): nothing else to do",
                    getattr(update, "update_id", None))
        return  # the press was acted on; only its spinner could not be stopped
    transient = is_transient(context.error)
    outcome.error = repr(context.error)[:300]
    context.resources.metrics.errors.inc("retry" if transient else "failed")
    if transient:  # the database went away: keep the update and try again later
        outcome.retry = True
    else:
        outcome.failed = True
    logger.error("error while handling update %s (%s)", getattr(update, "update_id", None),
                 "will retry" if transient else "failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if transient and outcome.attempt > 1:
        return  # the founder was told on the first attempt
    user = update.effective_user
    lang = founders.base_language(user.language_code if user else None) or DEFAULT_LANGUAGE
    try:
        await say(context, update, "error.nlu_unavailable" if transient else "error.internal",
                  lang)
    except Exception:  # noqa: BLE001 - Telegram itself may be the problem
        logger.exception("could not tell the founder about the error")


async def ignore(update: Update, context: BotContext) -> None:
    """Updates the bot does not act on (channel posts, reactions, empty or malformed ones)."""
    logger.info("ignored update %s", update.update_id)


def make_bot(settings: Settings, metrics: AdapterMetrics) -> SafeBot:
    """The Bot API client: Telegram's (or the local fake's) URL, calls counted, rate-limited."""
    return SafeBot(settings.telegram_bot_token or LOCAL_TOKEN, base_url=settings.telegram_api_url,
                   request=CountingRequest(metrics.messages_out),
                   get_updates_request=CountingRequest(metrics.messages_out,
                                                       connection_pool_size=1),
                   rate_limiter=make_rate_limiter(settings))


def build_application(resources: BotResources, bot: SafeBot) -> Application:
    """Build the adapter on its open resources: handlers and the update processor."""
    settings = resources.settings
    founder_handlers, staff_handlers = commands.COMMAND_HANDLERS, staff.COMMAND_HANDLERS
    if (tuple(founder_handlers), tuple(staff_handlers)) != (FOUNDER_COMMANDS, STAFF_COMMANDS):
        raise RuntimeError("the command menus and the command handlers disagree")

    async def tell_flooding(update: Update) -> None:
        """Tell a founder once a minute that they are writing too fast."""
        user, chat = update.effective_user, update.effective_chat
        assert chat is not None
        lang = founders.base_language(user.language_code if user else None) or DEFAULT_LANGUAGE
        text = resources.catalogs.render(lang, "flood.notice",
                                         {"count": settings.flood_messages_per_min})
        await bot.send_message(chat.id, text)

    processor = MeteredUpdateProcessor(resources.metrics, resources.sessions,
                                       retry_interval_s=settings.retry_interval_s,
                                       redis=resources.redis,
                                       flood_per_minute=settings.flood_messages_per_min,
                                       on_flood=tell_flooding)
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=lambda: resources))  # type: ignore[arg-type]
        .concurrent_updates(processor)
        .build()
    )
    processor.application = application
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, messages.handle_edited))
    application.add_handler(MessageHandler(groups, messages.handle_group))
    for name, callback in {**founder_handlers, **staff_handlers}.items():
        application.add_handler(CommandHandler(name, callback, private))
    application.add_handler(MessageHandler(private & filters.TEXT, messages.handle_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT, messages.handle_non_text))
    application.add_handler(CallbackQueryHandler(buttons.handle_button))
    application.add_handler(TypeHandler(Update, ignore))
    application.add_error_handler(on_error)
    return application
