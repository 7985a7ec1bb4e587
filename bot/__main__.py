"""Run the Telegram adapter: ``python -m bot [--replica N]``."""

from __future__ import annotations

import argparse
import asyncio

import uvloop

from bot.app import LOCAL_TOKEN
from bot.polling import run_polling
from bot.webhook import run_webhook
from hubdata import logs
from hubdata.settings import Settings


def main(argv: list[str] | None = None) -> None:
    """Poll Telegram (or the local fake Bot API), or serve its webhook."""
    parser = argparse.ArgumentParser(description="EMERGE bot Telegram adapter")
    parser.add_argument("--replica", type=int, default=0, help="replica number (webhook port)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    # httpx's request lines carry the bot token (redacted anyway) and add only noise.
    logs.setup(settings, secrets=[LOCAL_TOKEN], quiet=["httpx"])
    uvloop.install()  # a faster event loop; Rasa and the action server (Sanic) use it too
    if settings.telegram_mode == "webhook":
        asyncio.run(run_webhook(settings, args.replica))
    else:
        asyncio.run(run_polling(settings, args.replica))


if __name__ == "__main__":
    main()
