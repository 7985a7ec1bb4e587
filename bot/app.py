"""All wiring of the Telegram adapter in one place."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from telegram import BotCommand, Update
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

from bot.conversation import say
from bot.desk_delivery import DeskDelivery
from bot.handlers import buttons, commands, messages, staff
from bot.ops import CountingRequest, MeteredUpdateProcessor, OpsServer
from bot.processor import InboxUpdateProcessor, current_outcome
from bot.rasa_client import RasaClient
from bot.rasa_tracker import RasaTrackerAPI
from bot.rate_limiter import make_rate_limiter
from bot.resources import BotContext, BotResources
from bot.staff_menus import StaffMenus
from bot.telegram_bot import SafeBot
from hubdata import founders, retention
from hubdata import updates as inbox
from hubdata.db import make_engine, make_session_factory, transaction
from hubdata.heap import freeze_heap
from hubdata.i18n import Catalogs
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, Settings

logger = logging.getLogger(__name__)
LOCAL_TOKEN = "123456:local-terminal-chat"  # accepted by the local fake Bot API only


async def post_init(application: Application) -> None:
    """Open the database, the Rasa client and the catalogs; resume unfinished updates."""
    resources: BotResources = application.bot_data
    settings = resources.settings
    resources.catalogs = Catalogs()
    resources.engine = make_engine(settings.database_url)
    resources.sessions = make_session_factory(resources.engine)
    resources.rasa = RasaClient(settings.rasa_urls, settings.rasa_token, settings.rasa_timeout_s)
    await resources.rasa.start()
    for lang in (None, *SUPPORTED_LANGUAGES):
        await application.bot.set_my_commands(
            [BotCommand(name, resources.catalogs.render(lang or DEFAULT_LANGUAGE,
                                                        f"command.{name}"))
             for name in commands.COMMANDS],
            language_code=lang,
        )
    await requeue(application, (inbox.PENDING, inbox.RETRY))
    application.create_task(retry_loop(application), name="retry-unfinished-updates")
    application.create_task(prune_loop(application), name="prune-past-retention")
    tracker_api = RasaTrackerAPI(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    await tracker_api.start()
    resources.desk = DeskDelivery(application.bot, resources.sessions, resources.catalogs,
                                  settings, tracker_api)
    resources.desk.menus = StaffMenus(application.bot, resources.sessions, resources.catalogs)
    await resources.desk.start()
    if resources.ops is not None:
        await resources.ops.start(application)
    freeze_heap()  # what start-up loaded stays out of the garbage collector's walks


async def post_shutdown(application: Application) -> None:
    """Close what post_init opened."""
    resources: BotResources = application.bot_data
    if resources.ops is not None:
        await resources.ops.stop()
    if resources.desk is not None:
        await resources.desk.stop()
        await resources.desk.tracker_api.close()
    if resources.rasa is not None:
        await resources.rasa.close()
    if resources.engine is not None:
        await resources.engine.dispose()


async def requeue(application: Application, statuses: tuple[str, ...]) -> int:
    """Put recorded but unfinished updates back in the queue; return how many."""
    resources: BotResources = application.bot_data
    assert resources.sessions is not None
    async with transaction(resources.sessions) as session:
        bot_id = inbox.bot_id_from_token(application.bot.token)
        await inbox.adopt(session, bot_id)
        rows = await inbox.unfinished(session, statuses, bot_id=bot_id)
        payloads = [row.payload for row in rows]
    processor = application.update_processor
    if isinstance(processor, InboxUpdateProcessor):
        processor.resume([int(payload["update_id"]) for payload in payloads])
    for payload in payloads:
        await application.update_queue.put(Update.de_json(payload, application.bot))
    if payloads:
        logger.info("resumed %d unfinished update(s)", len(payloads))
    return len(payloads)


async def retry_loop(application: Application) -> None:
    """Every few seconds, retry updates that failed because Rasa was unavailable."""
    interval = application.bot_data.settings.retry_interval_s
    while True:
        await asyncio.sleep(interval)
        try:
            await requeue(application, (inbox.RETRY,))
        except Exception:  # noqa: BLE001 - keep retrying whatever went wrong this round
            logger.exception("retry round failed")


async def prune_loop(application: Application) -> None:
    """Enforce the retention policy now and every few hours, one replica at a time."""
    resources: BotResources = application.bot_data
    settings = resources.settings
    interval_s = settings.retention.interval_h * 3600
    while True:
        try:
            if await _prune_turn(settings.redis_url, interval_s):
                await retention.prune_all(resources.sessions, settings)
        except Exception:  # noqa: BLE001 - try again next round whatever went wrong
            logger.exception("pruning past retention failed")
        await asyncio.sleep(interval_s)


async def _prune_turn(redis_url: str | None, interval_s: float) -> bool:
    """Whether this replica prunes this round: with Redis, the first to take the round's key;
    without (one adapter), always."""
    if not redis_url:
        return True
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    try:
        return bool(await redis.set("emergebot:prune", "1", nx=True,
                                    px=max(int(interval_s * 900), 1000)))
    finally:
        await redis.close()


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
    if context.resources.ops is not None:
        context.resources.ops.metrics.errors.inc("retry" if transient else "failed")
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


def build_application(settings: Settings, replica: int = 0) -> Application:
    """Build the adapter (replica ``replica``): handlers, processor and lifecycle hooks."""
    resources = BotResources(settings=settings, ops=OpsServer(settings, replica))
    metrics = resources.ops.metrics
    token = settings.telegram_bot_token or LOCAL_TOKEN
    async def tell_flooding(update: Update) -> None:
        """Tell a founder once a minute that they are writing too fast."""
        user, chat = update.effective_user, update.effective_chat
        assert chat is not None and resources.catalogs is not None
        lang = founders.base_language(user.language_code if user else None) or DEFAULT_LANGUAGE
        text = resources.catalogs.render(lang, "flood.notice",
                                         {"count": settings.flood_messages_per_min})
        await application.bot.send_message(chat.id, text)

    processor = MeteredUpdateProcessor(metrics, lambda: resources.sessions,
                                     retry_interval_s=settings.retry_interval_s,
                                     redis_url=settings.redis_url,
                                     flood_per_minute=settings.flood_messages_per_min,
                                     on_flood=tell_flooding)
    bot = SafeBot(token, base_url=settings.telegram_api_url,
                  request=CountingRequest(metrics.messages_out),
                  get_updates_request=CountingRequest(metrics.messages_out,
                                                      connection_pool_size=1),
                  rate_limiter=make_rate_limiter(settings))
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=lambda: resources))  # type: ignore[arg-type]
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    processor.application = application
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, messages.handle_edited))
    application.add_handler(MessageHandler(groups, messages.handle_group))
    for name, callback in {**commands.COMMAND_HANDLERS, **staff.COMMAND_HANDLERS}.items():
        application.add_handler(CommandHandler(name, callback, private))
    application.add_handler(MessageHandler(private & filters.TEXT, messages.handle_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT, messages.handle_non_text))
    application.add_handler(CallbackQueryHandler(buttons.handle_button))
    application.add_handler(TypeHandler(Update, ignore))
    application.add_error_handler(on_error)
    return application
