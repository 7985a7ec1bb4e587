"""Run the staff console: ``python -m console``."""

from __future__ import annotations

import logging

from aiohttp import web

from console.app import make_app
from hubdata.settings import Settings


def main() -> None:
    """Serve the console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8090 by default)."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    print(f"staff console listening on {settings.console_url}", flush=True)
    web.run_app(make_app(settings), host=settings.console_host, port=settings.console_port,
                print=None, access_log=None)


if __name__ == "__main__":
    main()
