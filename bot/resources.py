"""What the adapter's callbacks share: opened in post_init, closed in post_shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.rasa_client import RasaClient
from hubdata.i18n import Catalogs
from hubdata.settings import Settings
from hubdata.updates import bot_id_from_token

if TYPE_CHECKING:
    from bot.desk_delivery import DeskDelivery
    from bot.ops import OpsServer


@dataclass
class BotResources:
    """The adapter's resources; empty until post_init fills them in."""

    settings: Settings = field(default_factory=Settings)
    engine: AsyncEngine | None = None
    sessions: sessionmaker | None = None
    rasa: RasaClient | None = None
    catalogs: Catalogs | None = None
    desk: DeskDelivery | None = None
    ops: OpsServer | None = None  # /health, /ready, /metrics (bot/ops.py)


class BotContext(CallbackContext[ExtBot, dict, dict, BotResources]):
    """Callback context with typed access to the adapter's resources."""

    @property
    def resources(self) -> BotResources:
        """The adapter's shared resources."""
        return self.bot_data

    @property
    def sessions(self) -> sessionmaker:
        """The database session factory."""
        assert self.bot_data.sessions is not None, "post_init has not run"
        return self.bot_data.sessions

    @property
    def catalogs(self) -> Catalogs:
        """The message catalogs."""
        assert self.bot_data.catalogs is not None, "post_init has not run"
        return self.bot_data.catalogs

    @property
    def desk(self) -> DeskDelivery:
        """The staff desk's delivery of its outbox."""
        assert self.bot_data.desk is not None, "post_init has not run"
        return self.bot_data.desk

    @property
    def bot_id(self) -> int:
        """The bot's id, which with an update id names an update (ids are per bot)."""
        return bot_id_from_token(self.bot.token)

    @property
    def rasa(self) -> RasaClient:
        """The client of the Rasa server."""
        assert self.bot_data.rasa is not None, "post_init has not run"
        return self.bot_data.rasa


EmergeApplication = Application[ExtBot, BotContext, dict, dict, BotResources, None]
