"""The console's endpoints that need no sign-in: liveness and readiness for the supervisor, and
the favicon that browsers ask for."""

from __future__ import annotations

from aiohttp import web

from console.context import STATE
from hubdata import ops


async def health(request: web.Request) -> web.Response:
    """Liveness for the supervisor."""
    return web.Response(text="ok")


async def ready(request: web.Request) -> web.Response:
    """Readiness: the console's database answers."""
    problem = await ops.database_ready(request.app[STATE].sessions)
    if problem is not None:
        return web.json_response({"status": "not ready", "problems": {"database": problem}},
                                 status=503)
    return web.json_response({"status": "ready"})


async def no_icon(request: web.Request) -> web.Response:
    """Browsers ask for a favicon; there is none."""
    return web.Response(status=204)
