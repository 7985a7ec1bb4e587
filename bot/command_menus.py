"""Telegram's command menus: the founder commands for everyone, in each supported language,
and the founder commands plus the desk's in each staff member's private chat, in the language
the desk speaks to them.

Staff are added and removed by ``emergebot staff`` in another process, so the staff menus are
brought up to date at start-up and then every minute (``OutboxDelivery`` runs ``refresh``).
The handlers of these commands are in ``bot.handlers``; ``bot.app`` checks that the names
here and the handler tables agree.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker
from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.i18n import Catalogs
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)
REFRESH_INTERVAL_S = 60.0
# In menu order; each name has a "command.<name>" message in every language.
FOUNDER_COMMANDS = ("start", "help", "language", "profile", "human", "privacy", "mydata",
                    "forget")
STAFF_COMMANDS = ("queue", "mine", "reply", "note", "resolve", "open", "mute", "unmute")


async def set_founder_menus(bot: Bot, catalogs: Catalogs) -> None:
    """Set the founder command menu, in the default language and in each supported one."""
    for lang in (None, *SUPPORTED_LANGUAGES):
        await bot.set_my_commands(
            [BotCommand(name, catalogs.render(lang or DEFAULT_LANGUAGE, f"command.{name}"))
             for name in FOUNDER_COMMANDS],
            language_code=lang,
        )


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
                    for name in (*FOUNDER_COMMANDS, *STAFF_COMMANDS)]
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
