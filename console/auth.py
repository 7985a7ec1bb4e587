"""Signing in with a staff member's console token; sessions; CSRF; the console language.

The browser holds a random session secret in an HttpOnly, SameSite=Strict cookie; the database
holds its SHA-256, the staff member, a CSRF token that every form must echo, and the chosen
language. Each request checks that the member is still active.

A console token signs in once, within ``Settings.console_token_max_age_days``. Sign-in attempts
are limited per client address (``console_login_attempts`` per ``console_login_window_s``), and
the refusals from one address within a window are folded into one audit entry that counts them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit, staff
from hubdata.desk.clock import aware
from hubdata.desk.results import CONSOLE, Actor
from hubdata.models import AuditEntry, ConsoleSession, Staff
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, Settings

COOKIE = "emd_console"
LOGIN_COOKIE = "emd_login"  # double-submit CSRF token of the sign-in form
LIFETIME = timedelta(hours=12)
MAX_ADDRESSES = 10_000  # addresses the sign-in throttle remembers at most


@dataclass
class LoginThrottle:
    """Sign-in attempts per client address in a sliding window, and the audit entry that
    counts the address's refusals in the current window (one process: the console's)."""

    attempts: int
    window: timedelta
    seen: dict[str, deque[datetime]] = field(default_factory=dict)
    refusals: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # entry id, since

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        """The limits of ``settings``."""
        return cls(settings.console_login_attempts,
                   timedelta(seconds=settings.console_login_window_s))

    def allow(self, address: str, now: datetime) -> bool:
        """Count an attempt from ``address``; False if it is over the limit (not counted)."""
        times = self.seen.setdefault(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.attempts:
            return False
        times.append(now)
        if len(self.seen) > MAX_ADDRESSES:  # forget the address seen first
            stale = next(iter(self.seen))
            self.seen.pop(stale)
            self.refusals.pop(stale, None)
        return True

    def entry_for(self, address: str, now: datetime) -> int | None:
        """The audit entry counting this address's refusals in the current window, if any."""
        found = self.refusals.get(address)
        return found[0] if found is not None and found[1] > now - self.window else None


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


async def refuse(session: AsyncSession, throttle: LoginThrottle, address: str, *,
                 now: datetime, limited: bool = False) -> None:
    """Audit a refused sign-in: the first refusal from ``address`` in a window adds an entry,
    the next ones count in its detail (``count``; ``limited``: those over the rate limit)."""
    entry_id = throttle.entry_for(address, now)
    entry = await session.get(AuditEntry, entry_id) if entry_id is not None else None
    if entry is None:
        entry = audit.record(session, Actor(None, CONSOLE), "sign_in", outcome=audit.REFUSED,
                             now=now, address=address, count=1, limited=int(limited))
        await session.flush()
        throttle.refusals[address] = (int(entry.id), now)
        return
    detail = dict(entry.detail or {})
    detail["count"] = int(detail.get("count", 1)) + 1
    detail["limited"] = int(detail.get("limited", 0)) + int(limited)
    detail["last_at"] = now.isoformat()
    entry.detail = detail  # a new dict, so the JSON column is written


async def sign_in(session: AsyncSession, token: str, lang: str | None, *, now: datetime,
                  max_age: timedelta, throttle: LoginThrottle, address: str
                  ) -> tuple[str, ConsoleSession] | None:
    """Open a console session for the holder of ``token`` and consume the token; None
    (audited) if it is unknown, expired or already used.

    Returns:
        The secret for the cookie, and the session.
    """
    member = await staff.redeem_token(session, token, now=now, max_age=max_age)
    if member is None:
        await refuse(session, throttle, address, now=now)
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
