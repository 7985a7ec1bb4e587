"""The checks every console request passes: strict security headers on every response, and
sign-in plus a CSRF token on every page but the public ones.

Off loopback the console must be served over HTTPS (a TLS proxy): every response then carries
Strict-Transport-Security.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from console import auth
from console.context import html, page_for, state_of
from console.layout import frame
from hubdata.db import transaction
from hubdata.desk import audit
from hubdata.desk.results import CONSOLE, Actor, Notice

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
            return html(frame(page, "console.refused", ""), status=403)
    return await handler(request)
