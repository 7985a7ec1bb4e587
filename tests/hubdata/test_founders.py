"""Founder profiles and the choice of reply language (hubdata.founders)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from hubdata import founders
from hubdata.db import transaction
from hubdata.models import Founder


def founder(language: str | None = None, detected: str | None = None) -> Founder:
    return Founder(user_id=1, language=language, detected_language=detected)


@pytest.mark.parametrize(
    ("profile", "detected", "telegram", "expected"),
    [
        (founder(language="ru", detected="fr"), "es", "ar", "ru"),  # explicit choice wins
        (founder(detected="fr"), "es", "ar", "es"),  # this message, when confident
        (founder(detected="fr"), None, "ar", "fr"),  # last confident detection
        (founder(), None, "ar", "ar"),  # Telegram's language_code
        (None, None, "pt-br", "pt"),
        (None, None, "pt-BR", "pt"),
        (None, None, "zh-hans", "zh"),
        (None, None, "zh_Hant", "zh"),
        (None, "zh", "en", "zh"),
        (None, None, "de", "en"),  # unsupported Telegram language
        (None, None, "", "en"),
        (None, None, None, "en"),
        (founder(), None, None, "en"),
    ],
)
def test_reply_language_order(
    profile: Founder | None, detected: str | None, telegram: str | None, expected: str
) -> None:
    assert founders.reply_language(profile, detected, telegram) == expected


def test_base_language() -> None:
    assert founders.base_language("fr-CA") == "fr"
    assert founders.base_language("ptbr") is None
    assert founders.base_language(None) is None


async def test_get_or_create_creates_once(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        assert await founders.get(session, 7) is None
        first = await founders.get_or_create(session, 7)
        first.country = "KE"
    async with transaction(sessions) as session:
        again = await founders.get_or_create(session, 7)
        assert again.country == "KE"
        assert again.created_at is not None


async def test_set_language_stores_the_choice(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        await founders.set_language(session, 8, "ar")
    async with transaction(sessions) as session:
        stored = await founders.get(session, 8)
        assert stored is not None and stored.language == "ar"
        assert founders.reply_language(stored, "fr", "en") == "ar"


@pytest.mark.parametrize("code", ["de", "pt-br", "EN", ""])
async def test_set_language_rejects_unsupported_codes(sessions: sessionmaker, code: str) -> None:
    async with transaction(sessions) as session:
        with pytest.raises(ValueError):
            await founders.set_language(session, 9, code)
        assert await founders.get(session, 9) is None


async def test_update_profile_sets_and_clears_fields(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        await founders.update_profile(session, 10, country="NG", sector="fintech", stage="idea")
    async with transaction(sessions) as session:
        await founders.update_profile(session, 10, sector=None)
    async with transaction(sessions) as session:
        stored = await founders.get(session, 10)
        assert stored is not None
        assert (stored.country, stored.sector, stored.stage) == ("NG", None, "idea")


@pytest.mark.parametrize("field", ["language", "chat_id", "detected_language", "name"])
async def test_update_profile_rejects_unknown_fields(sessions: sessionmaker, field: str) -> None:
    async with transaction(sessions) as session:
        await founders.update_profile(session, 11, country="KE")
    async with transaction(sessions) as session:
        with pytest.raises(ValueError, match=field):
            await founders.update_profile(session, 11, country="UG", **{field: "fr"})
    async with transaction(sessions) as session:
        stored = await founders.get(session, 11)
        assert stored is not None and stored.country == "KE" and stored.language is None
