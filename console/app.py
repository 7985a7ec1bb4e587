"""The console's aiohttp application: its middlewares, its routes table, and the resources it
opens at start-up (catalogs, the database engine) and closes at clean-up.

The handlers live by job: ``probes`` (health, readiness), ``session_views`` (sign-in, sign-out,
language), ``desk_views`` (tickets, metrics), ``catalogue_views``, ``founders_page``,
``nlu_page``; the checks every request passes live in ``middlewares``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from console import catalogue_views, desk_views, founders_page, nlu_page, probes, session_views
from console.context import STATE, ConsoleState
from console.middlewares import require_sign_in, security_headers
from hubdata.db import make_engine, make_session_factory
from hubdata.desk.clock import Clock, system_clock
from hubdata.i18n import Catalogs
from hubdata.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/health", probes.health),
    ("GET", "/ready", probes.ready),
    ("GET", "/favicon.ico", probes.no_icon),
    ("GET", "/login", session_views.login_form),
    ("POST", "/login", session_views.login),
    ("POST", "/logout", session_views.logout),
    ("POST", "/language", session_views.set_language),
    ("GET", "/", desk_views.queue_page),
    ("GET", "/metrics", desk_views.metrics_page),
    ("POST", "/tickets/open", desk_views.open_ticket),
    ("GET", r"/tickets/{number:\d+}", desk_views.ticket_page),
    ("POST", r"/tickets/{number:\d+}/{op:[a-z]+}", desk_views.ticket_action),
    *catalogue_views.ROUTES,
    *founders_page.ROUTES,
    *nlu_page.ROUTES,
]


async def _open(app: web.Application) -> None:
    state = app[STATE]
    state.catalogs = state.catalogs or Catalogs()
    state.engine = make_engine(state.settings.database_url)
    state.sessions = make_session_factory(state.engine)


async def _close(app: web.Application) -> None:
    state = app[STATE]
    if state.engine is not None:
        await state.engine.dispose()


def make_app(settings: Settings, clock: Clock = system_clock,
             catalogs: Catalogs | None = None) -> web.Application:
    """Build the console application (the database opens at start-up)."""
    app = web.Application(middlewares=[security_headers, require_sign_in])
    app[STATE] = ConsoleState(settings=settings, clock=clock, catalogs=catalogs)
    app.on_startup.append(_open)  # type: ignore[arg-type]  # aiohttp 3.9's Signal typing
    app.on_cleanup.append(_close)  # type: ignore[arg-type]
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_static("/static/", STATIC)
    return app
