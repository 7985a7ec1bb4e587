"""Founder profiles: language choice, country, sector and stage remembered between chats."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import Founder
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

PROFILE_FIELDS = ("country", "sector", "stage")


async def get_or_create(session: AsyncSession, user_id: int) -> Founder:
    """Return the founder's profile, creating an empty one on first contact."""
    founder = await session.get(Founder, user_id)
    if founder is None:
        founder = Founder(user_id=user_id)
        session.add(founder)
        await session.flush()
    return founder


async def get(session: AsyncSession, user_id: int) -> Founder | None:
    """Return the founder's profile, or None if the founder never wrote."""
    return await session.get(Founder, user_id)


async def update_profile(session: AsyncSession, user_id: int, **fields: str | None) -> Founder:
    """Set some of country, sector and stage (a None value clears the field)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    founder = await get_or_create(session, user_id)
    for name, value in fields.items():
        setattr(founder, name, value)
    return founder


async def set_language(session: AsyncSession, user_id: int, language: str) -> Founder:
    """Record the founder's explicit language choice."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language: {language}")
    founder = await get_or_create(session, user_id)
    founder.language = language
    return founder


def base_language(telegram_code: str | None) -> str | None:
    """Map Telegram's IETF tag ("pt-br", "zh-hans") to a supported language, if any."""
    if not telegram_code:
        return None
    base = telegram_code.lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else None


def reply_language(
    founder: Founder | None, detected: str | None, telegram_code: str | None
) -> str:
    """Choose the reply language.

    Order: the founder's explicit choice; the language of this message when the detector was
    confident; the last language confidently detected for this founder; Telegram's
    ``language_code``; English.
    """
    if founder is not None and founder.language:
        return founder.language
    if detected:
        return detected
    if founder is not None and founder.detected_language:
        return founder.detected_language
    return base_language(telegram_code) or DEFAULT_LANGUAGE
