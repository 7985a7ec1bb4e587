"""Polling mode: the adapter asks Telegram (or the local fake Bot API) for updates."""

from __future__ import annotations

from telegram import Update

from bot.lifecycle import running, until_stopped
from hubdata.settings import Settings


async def run_polling(settings: Settings, replica: int = 0) -> None:
    """Poll Telegram (or the local fake Bot API) until SIGINT or SIGTERM."""
    async with running(settings, replica) as application:
        updater = application.updater
        assert updater is not None
        await updater.start_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
        print(f"telegram adapter polling {settings.telegram_api_url}<token>", flush=True)
        try:
            await until_stopped()
        finally:
            await updater.stop()
