"""Run the Telegram adapter: ``python -m bot``."""

from __future__ import annotations

import logging

from telegram import Update

from bot.app import build_application
from hubdata.settings import Settings


def main() -> None:
    """Start polling Telegram (or the local fake Bot API)."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the bot token
    application = build_application(settings)
    print(f"telegram adapter polling {settings.telegram_api_url}<token>", flush=True)
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
