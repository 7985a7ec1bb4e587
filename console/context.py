"""What every console handler shares: the application's state, the signed-in member and their
one-shot notice, and the page and HTML response for a request."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from console import auth
from console.layout import Page
from hubdata.desk.clock import Clock, system_clock
from hubdata.desk.results import Notice
from hubdata.i18n import Catalogs
from hubdata.models import ConsoleSession, Staff
from hubdata.settings import SUPPORTED_LANGUAGES, Settings


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


def state_of(request: web.Request) -> ConsoleState:
    """The application's shared state."""
    return request.app[STATE]


def signed_in(request: web.Request) -> tuple[ConsoleSession, Staff]:
    """The session and staff member of a request that passed the sign-in check."""
    return request["console_session"], request["staff"]


def take_flash(request: web.Request) -> tuple[Notice, bool] | None:
    """The notice kept for the signed-in member's next page, if any (it is shown once)."""
    row, _ = signed_in(request)
    return state_of(request).flashes.pop(str(row.id_hash), None)


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
