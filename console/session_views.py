"""The handlers of a staff member's console session: the sign-in form, signing in (throttled
per client address) and out, and the console language they pick.

Off loopback the session cookies are marked Secure (the console is then behind a TLS proxy).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web

from console import auth, pages
from console.context import html, page_for, signed_in, state_of
from hubdata.db import transaction
from hubdata.models import ConsoleSession
from hubdata.settings import SUPPORTED_LANGUAGES


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
