"""A small HTTP balancer standing in for the TLS reverse proxy in a local production run.

It forwards each POST /telegram to the adapter replicas in turn, skipping one that does not
answer, and passes the secret-token header through. In a real deployment the TLS reverse proxy
(nginx, Caddy, a cloud load balancer) does this job.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging

import aiohttp
from aiohttp import web

from hubdata import logs
from hubdata.settings import Settings

logger = logging.getLogger(__name__)
FORWARDED = ("X-Telegram-Bot-Api-Secret-Token", "Content-Type")


def make_app(backends: list[str]) -> web.Application:
    """The balancer application over ``backends`` (base URLs)."""
    turn = itertools.cycle(range(len(backends)))
    app = web.Application(client_max_size=1024 * 1024)

    async def start(app: web.Application) -> None:
        app["http"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(app: web.Application) -> None:
        await app["http"].close()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: request.headers[k] for k in FORWARDED if k in request.headers}
        first = next(turn)
        for offset in range(len(backends)):
            backend = backends[(first + offset) % len(backends)]
            try:
                async with app["http"].post(f"{backend}/telegram", data=body,
                                            headers=headers) as response:
                    return web.Response(status=response.status, body=await response.read())
            except aiohttp.ClientError as error:
                logger.warning("backend %s unavailable: %s", backend, error)
        return web.Response(status=502)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "backends": backends})

    async def ready(_request: web.Request) -> web.Response:
        """Ready when at least one backend answers its /health."""
        up = {}
        for backend in backends:
            try:
                async with app["http"].get(f"{backend}/health",
                                           timeout=aiohttp.ClientTimeout(total=2)) as response:
                    up[backend] = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                up[backend] = False
        ok = any(up.values())
        return web.json_response({"status": "ready" if ok else "not ready", "backends": up},
                                 status=200 if ok else 503)

    app.on_startup.append(start)
    app.on_cleanup.append(close)
    app.router.add_post("/telegram", forward)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    return app


def main(argv: list[str] | None = None) -> None:
    """``python -m emergebot.balancer --port P --backends 8444,8445``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backends", required=True, help="comma-separated local ports")
    args = parser.parse_args(argv)
    backends = [f"http://127.0.0.1:{p}" for p in args.backends.split(",") if p]
    logs.setup(Settings.from_env())
    print(f"webhook balancer listening on http://{args.host}:{args.port}/telegram", flush=True)
    web.run_app(make_app(backends), host=args.host, port=args.port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
