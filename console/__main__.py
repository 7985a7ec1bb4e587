"""Run the staff console: ``python -m console``."""

from __future__ import annotations

from aiohttp import web

from console.app import make_app
from hubdata import logs
from hubdata.settings import Settings


def main() -> None:
    """Serve the console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8090 by default)."""
    settings = Settings.from_env()
    logs.setup(settings, quiet=["aiohttp.access"])
    print(f"staff console listening on {settings.console_url}", flush=True)
    web.run_app(make_app(settings), host=settings.console_host, port=settings.console_port,
                print=None, access_log=None)


if __name__ == "__main__":
    main()
