"""The staff registry: who may see and act on tickets, the languages they speak, console tokens.

Console tokens are random; only their SHA-256 is stored, so a copy of the database cannot sign in.
A token signs in once, within its maximum age; issuing a new one ends the member's console
sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.desk import audit
from hubdata.desk.clock import aware
from hubdata.desk.results import Actor
from hubdata.models import ConsoleSession, Staff
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

TOKEN_PREFIX = "emd_"


class StaffError(ValueError):
    """A staff registry command got bad input (unknown member, unsupported language)."""


def token_hash(token: str) -> str:
    """The stored form of a console token."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def interface_language(member: Staff | None) -> str:
    """The language the desk talks to a staff member in: the first one they speak."""
    if member is not None and member.languages:
        first = member.languages[0]
        if first in SUPPORTED_LANGUAGES:
            return str(first)
    return DEFAULT_LANGUAGE


def parse_languages(codes: Iterable[str]) -> list[str]:
    """Validate language codes ("en", "fr" ...); keep their order, drop repeats."""
    out: list[str] = []
    for code in codes:
        code = code.strip().lower()
        if not code:
            continue
        if code not in SUPPORTED_LANGUAGES:
            raise StaffError(f"unsupported language {code!r}: use {', '.join(SUPPORTED_LANGUAGES)}")
        if code not in out:
            out.append(code)
    if not out:
        raise StaffError("name at least one language")
    return out


async def get(session: AsyncSession, user_id: int | None) -> Staff | None:
    """The registry entry of ``user_id`` (active or not)."""
    return None if user_id is None else await session.get(Staff, user_id)


async def active(session: AsyncSession, user_id: int | None) -> Staff | None:
    """The active staff member with this Telegram user id, or None."""
    member = await get(session, user_id)
    return member if member is not None and member.active else None


async def add(
    session: AsyncSession, user_id: int, name: str, languages: Iterable[str], *, actor: Actor,
    now: datetime, can_edit_catalogue: bool | None = None,
) -> tuple[Staff, bool]:
    """Register (or update and reactivate) a staff member; return it and whether it is new.

    ``can_edit_catalogue``: grant (True) or withdraw (False) the catalogue desk; None keeps
    what a known member has (a new one has it not).
    """
    langs = parse_languages(languages)
    name = name.strip()
    if not name:
        raise StaffError("a name is required")
    member = await get(session, user_id)
    created = member is None
    if member is None:
        member = Staff(user_id=user_id, name=name, languages=langs, active=True, created_at=now,
                       can_edit_catalogue=bool(can_edit_catalogue))
        session.add(member)
    else:
        member.name, member.languages, member.active = name, langs, True
        if can_edit_catalogue is not None:
            member.can_edit_catalogue = can_edit_catalogue
    audit.record(session, actor, "staff_add" if created else "staff_update", now=now,
                 staff_id=user_id, name=name, languages=langs,
                 can_edit_catalogue=bool(member.can_edit_catalogue))
    await session.flush()
    return member, created


async def set_catalogue_permission(
    session: AsyncSession, user_id: int, allowed: bool, *, actor: Actor, now: datetime
) -> Staff:
    """Grant or withdraw an active member's right to edit the catalogue in the console."""
    member = await active(session, user_id)
    if member is None:
        raise StaffError(f"no active staff member {user_id}")
    member.can_edit_catalogue = allowed
    audit.record(session, actor, "staff_catalogue", now=now, staff_id=user_id, allowed=allowed)
    return member


async def deactivate(
    session: AsyncSession, user_id: int, *, actor: Actor, now: datetime
) -> Staff:
    """Remove a member from the desk: inactive, console token revoked (history is kept)."""
    member = await get(session, user_id)
    if member is None:
        raise StaffError(f"no staff member {user_id}")
    member.active = False
    member.token_hash = None
    member.current_ticket_id = None
    audit.record(session, actor, "staff_remove", now=now, staff_id=user_id)
    return member


async def listing(session: AsyncSession, include_inactive: bool = False) -> Sequence[Staff]:
    """Staff members by name."""
    query = select(Staff).order_by(Staff.name, Staff.user_id)
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    return (await session.execute(query)).scalars().all()


async def speakers_of(session: AsyncSession, language: str) -> list[Staff]:
    """Active staff who speak ``language`` (to mention on a new ticket)."""
    return [m for m in await listing(session) if language in (m.languages or [])]


async def issue_token(session: AsyncSession, user_id: int, *, actor: Actor, now: datetime) -> str:
    """Issue a new console token for an active member: the old one stops working and the
    member's open console sessions end."""
    member = await active(session, user_id)
    if member is None:
        raise StaffError(f"no active staff member {user_id}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    member.token_hash = token_hash(token)
    member.token_issued_at = now
    await session.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == user_id))
    audit.record(session, actor, "staff_token", now=now, staff_id=user_id)
    return token


async def by_token(session: AsyncSession, token: str) -> Staff | None:
    """The active member holding this console token, or None."""
    if not token or not token.strip().startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    query = select(Staff).where(Staff.token_hash == token_hash(token), Staff.active.is_(True))
    return (await session.execute(query)).scalars().first()


async def redeem_token(session: AsyncSession, token: str, *, now: datetime, max_age: timedelta
                       ) -> Staff | None:
    """Consume a console token to sign in: the active member holding it, or None if it is
    unknown, older than ``max_age`` or already used (also by a concurrent sign-in)."""
    member = await by_token(session, token)
    if member is None or member.token_issued_at is None:
        return None
    if aware(member.token_issued_at) + max_age < now:
        return None
    used = await session.execute(
        update(Staff).where(Staff.user_id == member.user_id,
                            Staff.token_hash == token_hash(token)).values(token_hash=None))
    return member if used.rowcount == 1 else None  # type: ignore[attr-defined]
