"""Telegram's command menu for hub staff: the founder commands and the desk's, in each staff
member's private chat, in the language the desk speaks to them.

Staff are added and removed by ``emergebot staff`` in another process, so the menus are
brought up to date at start-up and then every minute (``DeskDelivery`` runs ``refresh``).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.handlers.commands import COMMANDS
from bot.handlers.staff import STAFF_COMMANDS
from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.i18n import Catalogs

logger = logging.getLogger(__name__)
REFRESH_INTERVAL_S = 60.0


class StaffMenus:
    """Sets and removes the staff command menus; remembers what it set in this process."""

    def __init__(self, bot: Bot, sessions: sessionmaker, catalogs: Catalogs) -> None:
        """Keep what refreshing needs."""
        self.bot = bot
        self.sessions = sessions
        self.catalogs = catalogs
        self._shown: dict[int, str] = {}  # staff user id -> language of the menu set

    async def refresh(self) -> None:
        """Give every active staff member the staff menu; take it from those removed."""
        async with transaction(self.sessions) as session:
            members = {int(m.user_id): staff.interface_language(m)
                       for m in await staff.listing(session)}
        for user_id, lang in members.items():
            if self._shown.get(user_id) == lang:
                continue
            menu = [BotCommand(name, self.catalogs.render(lang, f"command.{name}"))
                    for name in (*COMMANDS, *STAFF_COMMANDS)]
            try:
                await self.bot.set_my_commands(menu, scope=BotCommandScopeChat(user_id))
            except TelegramError as error:  # e.g. they never opened a chat with the bot
                logger.info("no staff menu for %s yet: %s", user_id, error)
                continue
            self._shown[user_id] = lang
        for user_id in set(self._shown) - set(members):
            try:
                await self.bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
            except TelegramError as error:
                logger.info("could not remove the staff menu of %s: %s", user_id, error)
                continue
            del self._shown[user_id]
