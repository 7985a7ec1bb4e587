"""Small talk and abuse through the real stack: a short reply in the founder's language with the
topics; abuse is answered calmly, never escalated, and is no miss for the "offer a person" count."""

from __future__ import annotations

import json
import sqlite3
import urllib.request

import pytest

from hubdata.catalog import INTENT_TOPICS
from tests.e2e.harness import Stack, button_labels

pytestmark = pytest.mark.e2e


def tracker_slots(stack: Stack, sender: int) -> dict:
    """The conversation's slots, through Rasa's HTTP API."""
    url = (f"{stack.settings.rasa_url}/conversations/{sender}/tracker"
           f"?token={stack.env['RASA_TOKEN']}")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - localhost
        return json.load(response)["slots"]


@pytest.mark.parametrize(("lang", "text"), [("en", "tell me a joke pls"),
                                            ("fr", "raconte-moi une blague drôle"),
                                            ("ru", "как дела?")])
def test_small_talk_gets_a_friendly_reply_with_the_topics(stack: Stack, chat_id: int, lang: str,
                                                          text: str) -> None:
    [reply] = stack.ask(chat_id, text, language_code=lang)
    assert stack.is_message(reply["text"], lang, "smalltalk"), reply["text"]
    assert len(button_labels(reply)) == len(INTENT_TOPICS)


def test_abuse_is_answered_calmly_not_escalated_and_not_a_miss(stack: Stack,
                                                               chat_id: int) -> None:
    stack.ask(chat_id, "a programme for founders")  # may be a miss: the count is what it is
    before = tracker_slots(stack, chat_id)["fallback_count"]
    [reply] = stack.ask(chat_id, "you're a stupid useless bot")
    assert stack.is_message(reply["text"], "en", "abuse"), reply["text"]
    assert len(button_labels(reply)) == len(INTENT_TOPICS)
    assert tracker_slots(stack, chat_id)["fallback_count"] == before
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        assert db.execute("select count(*) from tickets where founder_id = ?",
                          (chat_id,)).fetchone() == (0,)


def test_an_insult_or_an_unrelated_question_sets_no_search_filter(stack: Stack,
                                                                  chat_id: int) -> None:
    # "basura" (waste) is a clean-tech word and France a country: neither is what the
    # founder will search for next.
    stack.ask(chat_id, "pedazo de basura", language_code="es")
    stack.ask(chat_id, "comment obtenir un visa pour la France", language_code="fr")
    slots = tracker_slots(stack, chat_id)
    assert (slots["sector"], slots["country"]) == (None, None), slots
    stack.ask(chat_id, "grants for cleantech startups in France")
    slots = tracker_slots(stack, chat_id)
    assert (slots["sector"], slots["country"]) == ("cleantech", "FR"), slots
