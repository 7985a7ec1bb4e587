"""What the adapter's callbacks share, opened in one place and closed in reverse order.

``open_resources`` opens each resource on an ``AsyncExitStack`` that closes it; every field
of ``BotResources`` is set when it is built, so no user checks for None. ``bot.lifecycle``
holds the stack and starts what runs in the background (the outbox delivery loop, the
operations server) once the application is up.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker
from telegram import Bot
from telegram.ext import Application, CallbackContext, ExtBot

from bot.command_menus import StaffMenus
from bot.ops import AdapterMetrics, OpsServer
from bot.outbox_delivery import OutboxDelivery
from bot.rasa_client import RasaClient
from bot.rasa_tracker import RasaTrackerAPI
from hubdata.db import make_engine, make_session_factory
from hubdata.i18n import Catalogs
from hubdata.settings import Settings
from hubdata.updates import bot_id_from_token


@dataclass(frozen=True)
class BotResources:
    """The adapter's resources, all open."""

    settings: Settings
    catalogs: Catalogs
    engine: AsyncEngine
    sessions: sessionmaker
    redis: Redis | None  # only where replicas share chats (REDIS_URL set)
    rasa: RasaClient  # founders' messages to Rasa's channel
    tracker_api: RasaTrackerAPI  # Rasa's tracker API: the desk pauses and resumes dialogues
    delivery: OutboxDelivery  # the staff desk's delivery loop
    metrics: AdapterMetrics
    ops: OpsServer  # /health, /ready, /metrics


async def open_resources(stack: AsyncExitStack, settings: Settings, bot: Bot,
                         metrics: AdapterMetrics, replica: int = 0) -> BotResources:
    """Open the adapter's resources; ``stack`` closes them, last opened first.

    Nothing here talks to Telegram: ``bot`` is kept by the delivery loop for later.
    """
    catalogs = Catalogs()
    engine = make_engine(settings.database_url)
    stack.push_async_callback(engine.dispose)
    sessions = make_session_factory(engine)
    redis = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
        stack.push_async_callback(redis.close)
    rasa = RasaClient(settings.rasa_urls, settings.rasa_token, settings.rasa_timeout_s)
    await rasa.start()
    stack.push_async_callback(rasa.close)
    tracker_api = RasaTrackerAPI(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_s)
    await tracker_api.start()
    stack.push_async_callback(tracker_api.close)
    delivery = OutboxDelivery(bot, sessions, catalogs, settings, tracker_api,
                              menus=StaffMenus(bot, sessions, catalogs))
    ops = OpsServer(settings, sessions, metrics, replica)
    return BotResources(settings=settings, catalogs=catalogs, engine=engine, sessions=sessions,
                        redis=redis, rasa=rasa, tracker_api=tracker_api, delivery=delivery,
                        metrics=metrics, ops=ops)


class BotContext(CallbackContext[ExtBot, dict, dict, BotResources]):
    """Callback context with typed access to the adapter's resources."""

    @property
    def resources(self) -> BotResources:
        """The adapter's shared resources."""
        return self.bot_data

    @property
    def sessions(self) -> sessionmaker:
        """The database session factory."""
        return self.bot_data.sessions

    @property
    def catalogs(self) -> Catalogs:
        """The message catalogs."""
        return self.bot_data.catalogs

    @property
    def delivery(self) -> OutboxDelivery:
        """The staff desk's delivery of its outbox."""
        return self.bot_data.delivery

    @property
    def bot_id(self) -> int:
        """The bot's id, which with an update id names an update (ids are per bot)."""
        return bot_id_from_token(self.bot.token)

    @property
    def rasa(self) -> RasaClient:
        """The client of the Rasa server."""
        return self.bot_data.rasa


EmergeApplication = Application[ExtBot, BotContext, dict, dict, BotResources, None]
