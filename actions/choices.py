"""Buttons offered when a founder has to choose: topics, countries, sectors."""

from __future__ import annotations

from actions.base import Button, intent_button
from hubdata.catalog import INTENT_TOPICS
from hubdata.models import SECTORS

TOPIC_INTENTS = {topic: intent for intent, topic in INTENT_TOPICS.items()}

# Countries to offer first, by reply language; the founder can always type another one.
COUNTRIES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("KE", "NG", "GH", "ZA", "UG", "RW", "IN", "PH"),
    "fr": ("SN", "CI", "CM", "CD", "MA", "TN", "BJ", "RW"),
    "es": ("MX", "CO", "PE", "AR", "CL", "GT", "EC", "BO"),
    "pt": ("BR", "MZ", "AO", "CV", "GW", "ST", "TL", "PT"),
    "ar": ("EG", "MA", "JO", "TN", "DZ", "LB", "SA", "AE"),
    "ru": ("KZ", "UZ", "KG", "AM", "GE", "MD", "TJ", "AZ"),
    "zh": ("CN", "KE", "NG", "ET", "ID", "VN", "MY", "ZA"),
}


def topic_buttons(topics: list[str] | None = None) -> list[Button]:
    """Buttons that ask about each topic (all of them by default)."""
    chosen = topics or list(TOPIC_INTENTS)
    return [intent_button(f"topic.{t}", TOPIC_INTENTS[t]) for t in chosen]


def country_buttons(topic: str, language: str) -> list[Button]:
    """Buttons of likely countries for the founder's language, plus 'anywhere'."""
    intent = TOPIC_INTENTS[topic]
    buttons = [
        intent_button("button.country", intent, {"country": code}, country=code)
        for code in COUNTRIES_BY_LANGUAGE.get(language, COUNTRIES_BY_LANGUAGE["en"])
    ]
    buttons.append(intent_button("button.anywhere", intent, country="any"))
    return buttons


def sector_buttons(topic: str) -> list[Button]:
    """Buttons of every sector, plus 'any sector'."""
    intent = TOPIC_INTENTS[topic]
    buttons = [
        intent_button(f"sector.{sector}", intent, sector=sector) for sector in SECTORS
    ]
    buttons.append(intent_button("button.any_sector", intent, sector="any"))
    return buttons
