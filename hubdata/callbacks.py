"""Inline-button data kept server-side: Telegram carries only a short opaque token."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import CallbackToken, utcnow

TOKEN_BYTES = 9  # 12 URL-safe characters; Telegram allows 64 bytes of callback data
LIFETIME = timedelta(days=7)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")  # what secrets.token_urlsafe makes


class InvalidCallback(LookupError):
    """The button is unknown, expired, or was pressed in another chat."""


async def issue(session: AsyncSession, chat_id: int, action: dict[str, Any]) -> str:
    """Store ``action`` for ``chat_id`` and return the token to put in the button."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    session.add(CallbackToken(token=token, chat_id=chat_id, action=action, created_at=now,
                              expires_at=now + LIFETIME))
    return token


async def resolve(session: AsyncSession, chat_id: int, token: str) -> dict[str, Any]:
    """Return the action behind ``token``; raise InvalidCallback if it is not valid here."""
    if not token or len(token) > 24 or not _TOKEN.fullmatch(token):  # forged: not ours
        raise InvalidCallback(token)
    row = await session.get(CallbackToken, token)
    if row is None or row.chat_id != chat_id:
        raise InvalidCallback(token)
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires < utcnow():
        raise InvalidCallback(token)
    return dict(row.action)
