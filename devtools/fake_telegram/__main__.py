"""Run the fake Telegram Bot API standalone: ``python -m devtools.fake_telegram --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from devtools.fake_telegram.server import FakeTelegram
from hubdata import logs
from hubdata.settings import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_telegram", description="Fake Telegram Bot API server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (8081; 0 picks one)")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument(
        "--strict-chats",
        action="store_true",
        help='"chat not found" for chats that never wrote to the bot',
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with FakeTelegram(
        host=args.host, port=args.port, token=args.token, strict_chats=args.strict_chats
    ) as fake:
        print(f"fake Telegram Bot API listening on {fake.base_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    logs.install(Settings.from_env(), secrets=[args.token] if args.token else [])
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
