"""ActionChangeLanguage and ActionOutOfScope: the languages the bot answers in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from actions.language import ActionChangeLanguage, ActionOutOfScope
from hubdata import catalog
from hubdata.settings import SUPPORTED_LANGUAGES
from tests.actions.harness import entity, payload, run, stored_founder, tracker


async def test_change_language_stores_the_choice(live: sessionmaker) -> None:
    messages, events = await run(
        ActionChangeLanguage(),
        tracker("answer in Spanish", "change_language",
                [entity("language", "es", "Spanish", 10)]),
    )
    assert messages == [{"msgid": "language.changed", "params": {"language": "es"}}]
    assert events == []
    founder = await stored_founder(live)
    assert founder is not None and founder.language == "es"


@pytest.mark.parametrize("entities", [[], [{"entity": "language", "value": "de"}]])
async def test_change_language_without_a_supported_language_offers_all(
    live: sessionmaker, entities: list[dict[str, Any]]
) -> None:
    messages, events = await run(
        ActionChangeLanguage(), tracker("other language", "change_language", entities)
    )
    (message,) = messages
    assert message["msgid"] == "language.choose"
    assert len(message["buttons"]) == 7
    assert [payload(b) for b in message["buttons"]] == [
        ("change_language", {"language": code}) for code in SUPPORTED_LANGUAGES
    ]
    assert [b["params"] for b in message["buttons"]] == [
        {"language": code} for code in SUPPORTED_LANGUAGES
    ]
    assert events == []
    assert await stored_founder(live) is None


async def test_out_of_scope_names_our_languages_only_for_a_language_we_do_not_serve() -> None:
    swahili = tracker("natafuta mkopo kwa biashara yangu", "out_of_scope")
    swahili.latest_message["language"] = {"code": None, "confidence": 0.8, "other": "sw"}
    english = tracker("what is the capital of Peru", "out_of_scope")
    english.latest_message["language"] = {"code": "en", "confidence": 0.9, "other": None}
    [told], events = await run(ActionOutOfScope(), swahili)
    [plain], _ = await run(ActionOutOfScope(), english)
    assert events == []
    assert told["msgid"] == plain["msgid"] == "out_of_scope"
    assert told["notes"] == [{"msgid": "language.served"}] and "notes" not in plain
    assert [b["payload"] for b in told["buttons"]] == [
        b["payload"] for b in plain["buttons"]] and len(told["buttons"]) == len(
        catalog.INTENT_TOPICS)
