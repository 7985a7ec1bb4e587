"""Signing in with a staff member's console token; sessions; CSRF; the console language.

The browser holds a random session secret in an HttpOnly, SameSite=Strict cookie; the database
holds its SHA-256, the staff member, a CSRF token that every form must echo, and the chosen
language. Each request checks that the member is still active.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, staff
from hubdata.desk.clock import aware
from hubdata.desk.results import CONSOLE, Actor
from hubdata.models import ConsoleSession, Staff
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

COOKIE = "emd_console"
LOGIN_COOKIE = "emd_login"  # double-submit CSRF token of the sign-in form
LIFETIME = timedelta(hours=12)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens (False if either is missing)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header (English if none fits)."""
    preferred: list[tuple[float, str]] = []
    for item in (accept_language or "").split(","):
        tag, _, quality = item.strip().partition(";q=")
        if not tag or tag == "*":
            continue
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        preferred.append((weight, tag.replace("_", "-")))
    tags = [tag for _, tag in sorted(preferred, key=lambda p: -p[0])]
    try:
        match = Locale.negotiate(tags, list(SUPPORTED_LANGUAGES), sep="-")
    except (UnknownLocaleError, ValueError):
        match = None
    if match is not None and match.language in SUPPORTED_LANGUAGES:
        return str(match.language)
    for tag in tags:  # "zh-Hans-CN", "pt-BR": the base language is enough
        base = tag.split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


async def sign_in(session: AsyncSession, token: str, lang: str | None, *, now: datetime
                  ) -> tuple[str, ConsoleSession] | None:
    """Open a console session for the holder of ``token``; None (audited) if it is not valid.

    Returns:
        The secret for the cookie, and the session.
    """
    member = await staff.by_token(session, token)
    if member is None:
        audit.record(session, Actor(None, CONSOLE), "sign_in", outcome=audit.REFUSED, now=now)
        return None
    secret = secrets.token_urlsafe(32)
    row = ConsoleSession(id_hash=_digest(secret), staff_id=member.user_id,
                         csrf_token=secrets.token_urlsafe(24),
                         language=lang if lang in SUPPORTED_LANGUAGES else None,
                         created_at=now, expires_at=now + LIFETIME)
    session.add(row)
    audit.record(session, Actor(int(member.user_id), CONSOLE), "sign_in", now=now)
    return secret, row


async def current(session: AsyncSession, secret: str | None, *, now: datetime
                  ) -> tuple[ConsoleSession, Staff] | None:
    """The session behind a cookie, if valid and its staff member still active."""
    if not secret or len(secret) > 100:
        return None
    row = await session.get(ConsoleSession, _digest(secret))
    if row is None or aware(row.expires_at) < now:
        return None
    member = await staff.active(session, int(row.staff_id))
    if member is None:
        return None
    return row, member


async def sign_out(session: AsyncSession, secret: str, member: Staff, *, now: datetime) -> None:
    """End a console session."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _digest(secret)))
    audit.record(session, Actor(int(member.user_id), CONSOLE), "sign_out", now=now)
