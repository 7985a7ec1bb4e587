"""The console's aiohttp application: routes, sign-in check, CSRF check, security headers.

Off loopback the console must be served over HTTPS (a TLS proxy): its cookies are then marked
Secure and every response carries Strict-Transport-Security.

Every action goes through the desk's service layer with the signed-in staff member as the actor
(channel "console"), so it is checked and audited exactly as in Telegram.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from console import auth, pages
from console.layout import Page
from hubdata import ops
from hubdata.db import make_engine, make_session_factory, transaction
from hubdata.desk import audit, conversation, metrics, queries, staff, tickets
from hubdata.desk.clock import Clock, system_clock
from hubdata.desk.results import CONSOLE, Actor, Notice, Result
from hubdata.i18n import Catalogs
from hubdata.models import ConsoleSession, Staff, Ticket
from hubdata.settings import SUPPORTED_LANGUAGES, Settings

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PUBLIC = ("/login", "/health", "/ready", "/static/", "/favicon.ico")
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"  # off loopback only: one year of HTTPS for this host
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ConsoleState:
    """What the handlers share: opened at start-up, closed at clean-up."""

    settings: Settings
    clock: Clock = system_clock
    catalogs: Catalogs | None = None
    engine: AsyncEngine | None = None
    sessions: sessionmaker | None = None
    flashes: dict[str, tuple[Notice, bool]] = field(default_factory=dict)
    secure: bool = field(init=False)  # not on loopback: Secure cookies and HSTS
    throttle: auth.LoginThrottle = field(init=False)

    def __post_init__(self) -> None:
        self.secure = not is_loopback(self.settings.console_host)
        self.throttle = auth.LoginThrottle.from_settings(self.settings)


STATE = web.AppKey("console_state", ConsoleState)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (CONSOLE_HOST) is reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name, or "" (every interface)
        return False


def local_path(back: str) -> str:
    """``back`` if it is a plain path on this site (a single leading "/", no backslash, no
    scheme or host, no space or control character), else "/"; its fragment is dropped."""
    if (not back.startswith("/") or back.startswith("//") or "\\" in back
            or any(c.isspace() or not c.isprintable() for c in back)):
        return "/"
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def state_of(request: web.Request) -> ConsoleState:
    """The application's shared state."""
    return request.app[STATE]


def signed_in(request: web.Request) -> tuple[ConsoleSession, Staff]:
    """The session and staff member of a request that passed the sign-in check."""
    return request["console_session"], request["staff"]


def page_for(request: web.Request, flash: tuple[Notice, bool] | None = None) -> Page:
    """A Page in the request's language, for the signed-in member (if any)."""
    state = state_of(request)
    assert state.catalogs is not None
    lang = request.get("lang") or auth.negotiate(request.headers.get("Accept-Language"))
    wanted = request.query.get("lang")
    if "staff" not in request and wanted in SUPPORTED_LANGUAGES:
        lang = wanted
    page = Page(lang=lang, catalogs=state.catalogs, path=request.path_qs)
    if "staff" in request:
        row, member = signed_in(request)
        page.staff_name, page.csrf = str(member.name), str(row.csrf_token)
    if flash is not None:
        notice, ok = flash
        page.flash, page.flash_ok = state.catalogs.render(lang, notice.msgid, notice.params), ok
    return page


def html(body: str, status: int = 200) -> web.Response:
    """An HTML response."""
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


# ------------------------------------------------------------------------- middlewares
@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict headers on every response (redirects too): no framing, no sniffing, no external
    resources; HTTPS only when the console is off loopback."""
    try:
        response = await handler(request)
    except web.HTTPException as raised:  # redirects, 404s
        _add_headers(request, raised.headers)
        raise
    _add_headers(request, response.headers)
    return response


def _add_headers(request: web.Request, headers: Any) -> None:
    headers.update(HEADERS)
    if state_of(request).secure:
        headers["Strict-Transport-Security"] = HSTS


@web.middleware
async def require_sign_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but sign-in needs a valid session; every POST needs its CSRF token."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    state = state_of(request)
    assert state.sessions is not None
    async with transaction(state.sessions) as session:
        found = await auth.current(session, request.cookies.get(auth.COOKIE), now=state.clock())
    if found is None:
        raise web.HTTPSeeOther("/login")
    row, member = found
    request["console_session"], request["staff"] = row, member
    request["lang"] = row.language or auth.negotiate(request.headers.get("Accept-Language"))
    if request.method == "POST":
        form = await request.post()
        if not auth.same(row.csrf_token, str(form.get("csrf") or "")):
            async with transaction(state.sessions) as session:
                audit.record(session, Actor(int(member.user_id), CONSOLE), "csrf",
                             outcome=audit.REFUSED, now=state.clock(), path=request.path)
            page = page_for(request, (Notice("console.csrf_failed"), False))
            return html(pages.frame(page, "console.refused", ""), status=403)
    return await handler(request)


# --------------------------------------------------------------------------- sign-in
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


async def login_form(request: web.Request, refused: bool = False, status: int | None = None,
                     reason: str = "console.bad_token") -> web.Response:
    """The sign-in page with its double-submit CSRF token (kept while the browser has one, so
    another tab or a favicon request does not invalidate the form on screen)."""
    token = request.cookies.get(auth.LOGIN_COOKIE) or ""
    if not 20 <= len(token) <= 64:
        token = secrets.token_urlsafe(24)
    body = pages.login(page_for(request), token, refused, reason)
    response = html(body, status or (401 if refused else 200))
    response.set_cookie(auth.LOGIN_COOKIE, token, httponly=True, samesite="Strict", path="/login",
                        secure=state_of(request).secure)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the token (a limited number of tries per client address); open a session."""
    state = state_of(request)
    assert state.sessions is not None
    address, now = request.remote or "unknown", state.clock()
    if not state.throttle.allow(address, now):
        async with transaction(state.sessions) as session:
            await auth.refuse(session, state.throttle, address, now=now, limited=True)
        limited = await login_form(request, refused=True, status=429,
                                   reason="console.too_many_attempts")
        limited.headers["Retry-After"] = str(int(state.throttle.window.total_seconds()))
        return limited
    form = await request.post()
    if not auth.same(request.cookies.get(auth.LOGIN_COOKIE), str(form.get("csrf") or "")):
        return await login_form(request, refused=True)
    lang = str(form.get("lang") or "") or None
    max_age = timedelta(days=state.settings.console_token_max_age_days)
    async with transaction(state.sessions) as session:
        opened = await auth.sign_in(session, str(form.get("token") or ""), lang, now=now,
                                    max_age=max_age, throttle=state.throttle, address=address)
    if opened is None:
        return await login_form(request, refused=True)
    secret, _ = opened
    response = web.HTTPSeeOther("/")
    response.set_cookie(auth.COOKIE, secret, httponly=True, samesite="Strict", path="/",
                        max_age=int(auth.LIFETIME.total_seconds()), secure=state.secure)
    response.del_cookie(auth.LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    state = state_of(request)
    assert state.sessions is not None
    _, member = signed_in(request)
    async with transaction(state.sessions) as session:
        await auth.sign_out(session, request.cookies.get(auth.COOKIE, ""), member,
                            now=state.clock())
    response = web.HTTPSeeOther("/login")
    response.del_cookie(auth.COOKIE, path="/")
    raise response


async def set_language(request: web.Request) -> web.StreamResponse:
    """Remember the console language the staff member picked."""
    state = state_of(request)
    assert state.sessions is not None
    row, _ = signed_in(request)
    form = await request.post()
    lang = str(form.get("lang") or "")
    if lang in SUPPORTED_LANGUAGES:
        async with transaction(state.sessions) as session:
            stored = await session.get(ConsoleSession, row.id_hash)
            if stored is not None:
                stored.language = lang
    raise web.HTTPSeeOther(local_path(str(form.get("back") or "/")))


# ----------------------------------------------------------------------------- pages
def _take_flash(request: web.Request) -> tuple[Notice, bool] | None:
    row, _ = signed_in(request)
    return state_of(request).flashes.pop(str(row.id_hash), None)


async def _names(session: AsyncSession) -> dict[int, str]:
    return {int(m.user_id): str(m.name) for m in await staff.listing(session, True)}


async def queue_page(request: web.Request) -> web.Response:
    """The queue, filtered by status, language, priority and age."""
    state = state_of(request)
    assert state.sessions is not None
    form = {k: request.query.get(k, "") for k in ("status", "language", "priority", "age")}
    wanted = queries.QueueFilter.parse(**form)
    now = state.clock()
    async with transaction(state.sessions) as session:
        rows = await queries.queue(session, now, wanted)
        names = await _names(session)
    page = page_for(request, _take_flash(request))
    return html(pages.queue(page, rows, form, names, state.settings, now))


async def ticket_page(request: web.Request) -> web.Response:
    """One ticket."""
    state = state_of(request)
    assert state.sessions is not None
    _, member = signed_in(request)
    number = int(request.match_info["number"])
    async with transaction(state.sessions) as session:
        ticket = await session.get(Ticket, number)
        if ticket is None:
            raise web.HTTPNotFound(text="no such ticket")
        names = await _names(session)
        entries = await audit.entries(session, ticket_id=number)
    page = page_for(request, _take_flash(request))
    return html(pages.ticket(page, ticket, member, names, entries, state.settings, state.clock()))


async def metrics_page(request: web.Request) -> web.Response:
    """Figures and charts."""
    state = state_of(request)
    assert state.sessions is not None
    days = request.query.get("days", "")
    now = state.clock()
    since = now - timedelta(days=int(days)) if days in ("7", "30") else None
    async with transaction(state.sessions) as session:
        figures = await metrics.compute(session, now, since)
    return html(pages.metrics(page_for(request, _take_flash(request)), figures, days))


# --------------------------------------------------------------------------- actions
async def _act(request: web.Request, operation: Callable[[AsyncSession], Awaitable[Result]],
               back: str) -> web.StreamResponse:
    state = state_of(request)
    assert state.sessions is not None
    row, _ = signed_in(request)
    try:
        async with transaction(state.sessions) as session:
            result = await operation(session)
    except StaleDataError:
        result = Result(ok=False, notice=Notice("desk.conflict"))
    if result.notice is not None:
        state.flashes[str(row.id_hash)] = (result.notice, result.ok)
    if result.ok and result.ticket_id is not None:
        back = f"/tickets/{result.ticket_id}"
    raise web.HTTPSeeOther(back)


async def ticket_action(request: web.Request) -> web.StreamResponse:
    """Claim, release, resolve, reopen, set priority, reply or add a note."""
    state = state_of(request)
    _, member = signed_in(request)
    actor = Actor(int(member.user_id), CONSOLE)
    number, op = int(request.match_info["number"]), request.match_info["op"]
    form = await request.post()
    text = str(form.get("text") or "")
    now, settings = state.clock(), state.settings
    operations: dict[str, Callable[[AsyncSession], Awaitable[Result]]] = {
        "claim": lambda s: tickets.claim(s, settings, actor, number, now=now),
        "release": lambda s: tickets.release(s, settings, actor, number, now=now),
        "resolve": lambda s: tickets.resolve(s, settings, actor, number, now=now),
        "reopen": lambda s: tickets.reopen(s, settings, actor, number, now=now),
        "priority": lambda s: tickets.set_priority(s, settings, actor, number,
                                                   str(form.get("priority") or ""), now=now),
        "reply": lambda s: conversation.reply(s, actor, number, text, now=now),
        "note": lambda s: conversation.add_note(s, actor, number, text, now=now),
    }
    if op not in operations:
        raise web.HTTPNotFound(text="no such action")
    return await _act(request, operations[op], f"/tickets/{number}")


async def open_ticket(request: web.Request) -> web.StreamResponse:
    """Open a ticket for a founder who has written to the bot."""
    state = state_of(request)
    _, member = signed_in(request)
    actor = Actor(int(member.user_id), CONSOLE)
    form = await request.post()
    raw = str(form.get("founder") or "").strip()
    founder = int(raw) if raw.isdigit() else 0
    note = str(form.get("note") or "")
    return await _act(request, lambda s: tickets.open_for_founder(
        s, state.settings, actor, founder, now=state.clock(), note=note), "/")


# -------------------------------------------------------------------------- the app
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
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/health", health),
        ("GET", "/ready", ready),
        ("GET", "/favicon.ico", no_icon),
        ("GET", "/login", login_form),
        ("POST", "/login", login),
        ("POST", "/logout", logout),
        ("POST", "/language", set_language),
        ("GET", "/", queue_page),
        ("GET", "/metrics", metrics_page),
        ("POST", "/tickets/open", open_ticket),
        ("GET", r"/tickets/{number:\d+}", ticket_page),
        ("POST", r"/tickets/{number:\d+}/{op:[a-z]+}", ticket_action),
    ]
    from console import catalogue_views, founders_page, nlu_page  # they use these helpers

    routes += catalogue_views.ROUTES + founders_page.ROUTES + nlu_page.ROUTES
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.router.add_static("/static/", STATIC)
    return app
