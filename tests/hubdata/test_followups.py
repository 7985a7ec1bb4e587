"""Telling follow-ups from new questions (hubdata.followups)."""

from __future__ import annotations

from typing import Any

import pytest

from hubdata.followups import is_elliptical, is_follow_up, remainder
from hubdata.lexicon.matching import find_entities


def entities(text: str) -> list[dict[str, Any]]:
    return [
        {"entity": m.entity, "value": m.value, "start": m.start, "end": m.end}
        for m in find_entities(text)
    ]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("and in Uganda?", "country", "UG"),
        ("et au Ghana ?", "country", "GH"),
        ("¿y en Perú?", "country", "PE"),
        ("e em Angola?", "country", "AO"),
        ("а в Казахстане?", "country", "KZ"),
        ("那肯尼亚呢？", "country", "KE"),
        ("وماذا عن مصر؟", "country", "EG"),
        ("what about fintech?", "sector", "fintech"),
        ("And loans?", "funding_type", "loan"),
    ],
)
def test_entity_only_follow_ups(text: str, entity: str, value: str) -> None:
    found = entities(text)
    assert [(e["entity"], e["value"]) for e in found] == [(entity, value)]
    assert is_elliptical(text, found)
    # A funding type names its topic (funding), so only the others continue the last topic.
    assert is_follow_up(text, found) == (entity != "funding_type")
    assert remainder(text, found) == []


@pytest.mark.parametrize(
    "text",
    [
        "I need money for my startup in Kenya",
        "what grants are open for fintech in Nigeria?",
        "show me hubs in Rwanda",
        "Je cherche des mentors au Sénégal",
        "¿Hay eventos en México?",
    ],
)
def test_full_questions_are_not_follow_ups(text: str) -> None:
    found = entities(text)
    assert found, text
    assert not is_follow_up(text, found)


def test_full_question_made_of_entities_is_not_a_follow_up() -> None:
    text = "any grants for agritech in Kenya?"
    found = entities(text)
    assert {e["entity"] for e in found} == {"funding_type", "sector", "country"}
    assert not is_follow_up(text, found)


@pytest.mark.parametrize("text", ["and?", "et alors ?", "hello there", "那呢？", ""])
def test_no_entities_no_follow_up(text: str) -> None:
    assert not is_follow_up(text, entities(text))


def test_language_entity_alone_is_not_a_follow_up() -> None:
    found = [{"entity": "language", "value": "fr", "start": 3, "end": 9}]
    assert not is_follow_up("in French", found)


def test_entities_without_offsets_do_not_hide_words() -> None:
    found = [{"entity": "country", "value": "UG"}]
    assert not is_follow_up("and in Uganda?", found)
    assert remainder("and in Uganda?", found) == ["uganda"]
