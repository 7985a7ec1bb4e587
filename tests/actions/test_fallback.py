"""ActionHandleFallback: rephrase, clarify between two topics, then offer a person."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from sqlalchemy.orm import sessionmaker

from actions import fallback
from actions.fallback import ActionHandleFallback
from hubdata import catalog
from hubdata.settings import PROJECT_ROOT
from tests.actions.harness import entity, payload, run, slot_events, tracker


async def test_first_fallback_asks_to_rephrase_with_likely_topics(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        tracker("blorp", "nlu_fallback", ranking=["nlu_fallback", "ask_events", "greet",
                                                  "ask_funding", "ask_hubs", "ask_training"]),
    )
    (message,) = messages
    assert message["msgid"] == "fallback.rephrase"
    assert [payload(b)[0] for b in message["buttons"]] == ["ask_events", "ask_funding",
                                                          "ask_hubs"]
    assert [b["msgid"] for b in message["buttons"]] == ["topic.events", "topic.funding",
                                                       "topic.hubs"]
    assert slot_events(events) == {"fallback_count": 1.0, "pending": None}


async def test_fallback_without_likely_topics_offers_all(live: sessionmaker) -> None:
    messages, _ = await run(ActionHandleFallback(),
                            tracker("blorp", "nlu_fallback", ranking=["greet"]))
    assert len(messages[0]["buttons"]) == len(catalog.INTENT_TOPICS)


async def test_second_fallback_offers_a_person(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        tracker("blorp again", "nlu_fallback", ranking=["ask_events"],
                slots={"fallback_count": 1.0}),
    )
    (message,) = messages
    assert message["msgid"] == "fallback.offer_human"
    assert [payload(b)[0] for b in message["buttons"]] == ["request_human", "deny"]
    assert slot_events(events) == {"fallback_count": 2.0, "pending": "offer_human"}


async def test_fallback_entity_without_context_is_not_a_search(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        tracker("Uganda", "nlu_fallback", [entity("country", "UG", "Uganda", 0)],
                slots={"country": "UG"}),
    )
    assert messages[0]["msgid"] == "fallback.rephrase"


def ranked(text: str, confidences: dict[str, float], **kwargs: Any) -> Tracker:
    """An unsure message whose ranking has these confidences (the fallback first, as Rasa's
    FallbackClassifier puts it)."""
    t = tracker(text, "nlu_fallback", **kwargs)
    t.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        *({"name": name, "confidence": c} for name, c in confidences.items()),
    ]
    return t


async def test_two_close_topics_are_asked_about_not_guessed(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        ranked("someone to fund or guide my startup", {"ask_funding": 0.43, "ask_mentor": 0.40,
                                                       "greet": 0.05}),
    )
    (message,) = messages
    assert message["msgid"] == "clarify.ask"
    assert message["params"] == {"seeking": "funding", "seeking_other": "mentor"}
    assert [payload(b)[0] for b in message["buttons"]] == ["ask_funding", "ask_mentor", "deny"]
    assert [b["msgid"] for b in message["buttons"]] == ["topic.funding", "topic.mentor",
                                                       "button.something_else"]
    assert slot_events(events) == {"fallback_count": 1.0, "pending": "clarify"}


async def test_an_unsure_but_plausible_pair_is_asked_about(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        ranked("hub training?", {"ask_hubs": 0.31, "ask_training": 0.18, "ask_events": 0.1}),
    )
    assert messages[0]["msgid"] == "clarify.ask"
    assert messages[0]["params"] == {"seeking": "hubs", "seeking_other": "training"}


@pytest.mark.parametrize("confidences", [
    {"ask_funding": 0.15, "ask_mentor": 0.14},  # hopeless: no topic is likely enough
    {"ask_funding": 0.35, "ask_mentor": 0.05},  # only one plausible topic
    {"out_of_scope": 0.35, "ask_funding": 0.33, "ask_mentor": 0.30},  # not two topics
    {"ask_funding": 0.38, "greet": 0.37, "ask_mentor": 0.2},
    {"ask_funding": 0.55, "ask_mentor": 0.45},  # sure enough and not close
])
async def test_hopeless_or_not_two_topics_asks_to_rephrase(
        live: sessionmaker, confidences: dict[str, float]) -> None:
    messages, events = await run(ActionHandleFallback(), ranked("blorp", confidences))
    assert messages[0]["msgid"] == "fallback.rephrase"
    assert slot_events(events) == {"fallback_count": 1.0, "pending": None}


async def test_a_second_miss_offers_a_person_even_when_two_topics_are_close(
        live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        ranked("funds or mentors", {"ask_funding": 0.43, "ask_mentor": 0.41},
               slots={"fallback_count": 1.0}),
    )
    assert messages[0]["msgid"] == "fallback.offer_human"


def test_thresholds_match_the_fallback_classifier() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "nlu" / "config.yml").read_text(encoding="utf-8"))
    (classifier,) = [c for c in config["pipeline"] if c["name"] == "FallbackClassifier"]
    assert fallback.NLU_THRESHOLD == classifier["threshold"]
    assert fallback.NLU_AMBIGUITY == classifier["ambiguity_threshold"]
    assert fallback.SECOND_FLOOR < fallback.HOPELESS < fallback.NLU_THRESHOLD
