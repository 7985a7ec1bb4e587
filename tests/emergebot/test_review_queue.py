"""``nlu inbox``: unsure messages read from a real Rasa tracker store, masked, deduplicated,
grouped; staff topics from the desk's tickets when that table exists."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from emergebot import review_queue
from emergebot.staff_topics import staff_items, topic_intent
from hubdata.settings import PROJECT_ROOT
from tests.emergebot import trackers as t

EMERGEBOT = str(Path(sys.executable).with_name("emergebot"))
INTENTS = frozenset({"ask_funding", "ask_mentor", "ask_training", "greet", "request_human",
                     "out_of_scope"})


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    """Conversations covering every selection rule, and messages that must not be selected."""
    return t.write(tmp_path / "tracker.db", {
        "101": [
            t.user("Any money for my farm app?", [("ask_funding", 0.52), ("ask_training", 0.31)]),
            t.user("grants?", [("ask_funding", 0.97)]),  # confident: not selected
            t.user("/ask_mentor", [("ask_mentor", 1.0)]),  # a button payload
            t.user("\u2060/start now", [("greet", 0.2)]),  # an escaped command
            t.user("and in Uganda?", [("ask_training", 0.3)],  # a follow-up, not a miss
                   entities=[{"entity": "country", "value": "UG", "start": 7, "end": 13}]),
        ],
        "102": [
            t.user("any money for my farm app", [("ask_funding", 0.55), ("ask_mentor", 0.2)]),
            t.user("qwxz blorp", [("out_of_scope", 0.3), ("greet", 0.1)]),  # fallback
        ],
        "103": [  # two intents too close to call, confident though
            t.user("mentor or training for my fintech?", [("ask_mentor", 0.71),
                                                          ("ask_training", 0.66)]),
        ],
        "104": [  # misunderstood twice, then accepted a person: the miss led to an escalation
            t.user("I need help with my DRC export licence", [("ask_partnership", 0.62),
                                                               ("ask_hubs", 0.2)]),
            t.bot("fallback.rephrase"),
            t.user("yes", [("affirm", 0.99)]),
            t.action("action_escalate_to_staff"),
            t.bot("escalation.created"),
        ],
        "105": [  # hello, then asks for a person: the greeting is not blamed
            t.user("hello", [("greet", 0.99)]),
            t.user("talk to a human", [("request_human", 0.95)]),
            t.action("action_escalate_to_staff"),
        ],
        "106": [  # personal data, French, language from the reply when not detected
            t.user("je m'appelle Awa Diop, mon numéro +221 77 123 45 67", [("greet", 0.45),
                                                                          ("help", 0.3)],
                   language=None, reply_language="fr"),
        ],
    })


def _items(path: Path, **criteria: float) -> dict[str, review_queue.ReviewItem]:
    turns = review_queue.read_turns(review_queue.tracker_url(str(path)))
    criteria_ = review_queue.Criteria(**criteria)
    return {item.text: item for item in review_queue.collect(turns, criteria_)}


def test_selects_unsure_messages_for_each_reason(tracker_db: Path) -> None:
    items = _items(tracker_db)
    farm = items["Any money for my farm app?"]
    assert farm.count == 2  # two founders, same text after normalisation
    assert farm.reasons == {"low_confidence"}
    assert farm.suggested == "ask_funding"
    assert items["qwxz blorp"].reasons == {"low_confidence", "fallback"}
    assert items["mentor or training for my fintech?"].reasons == {"ambiguous"}
    assert items["I need help with my DRC export licence"].reasons == {"escalation"}
    assert set(items) == {"Any money for my farm app?", "qwxz blorp",
                          "mentor or training for my fintech?",
                          "I need help with my DRC export licence",
                          "je m'appelle <name>, mon numéro <phone>"}


def test_masks_and_takes_the_reply_language_when_undetected(tracker_db: Path) -> None:
    item = _items(tracker_db)["je m'appelle <name>, mon numéro <phone>"]
    assert item.language == "fr"
    assert "Awa" not in item.key and "221" not in item.key


def test_thresholds_are_options(tracker_db: Path) -> None:
    strict = _items(tracker_db, threshold=0.8, margin=0.01)
    assert "mentor or training for my fintech?" in strict  # now low confidence
    assert strict["mentor or training for my fintech?"].reasons == {"low_confidence"}
    assert "grants?" not in strict


def test_groups_by_language_and_intent_biggest_first(tracker_db: Path) -> None:
    turns = review_queue.read_turns(review_queue.tracker_url(str(tracker_db)))
    groups = review_queue.grouped(review_queue.collect(turns))
    assert groups[0][:2] == ("en", "ask_funding")
    assert sum(i.count for i in groups[0][2]) == 2
    assert ("fr", "greet") in [(lang, intent) for lang, intent, _ in groups]


def test_missing_tracker_store_is_reported(tmp_path: Path) -> None:
    with pytest.raises(review_queue.ReviewQueueError, match="no events table"):
        review_queue.read_turns(review_queue.tracker_url(str(tmp_path / "empty.db")))


def _tickets_db(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("create table tickets (id integer primary key, language text, topic text, "
                   "last_message text, status text)")
        db.executemany("insert into tickets (language, topic, last_message, status) "
                       "values (?, ?, ?, ?)", [
                           ("en", "funding", "who pays for my pilot? call 0712345678", "resolved"),
                           ("en", "mentor", "still waiting", "claimed"),  # not resolved yet
                           ("es", "visa", "necesito una visa", "resolved"),  # no such intent
                       ])
    return f"sqlite+aiosqlite:///{path}"


def test_staff_topics_come_from_resolved_tickets(tmp_path: Path) -> None:
    items, note = staff_items(_tickets_db(tmp_path / "bot.db"), INTENTS)
    assert [(i.text, i.suggested, i.staff_topic) for i in items] == [
        ("who pays for my pilot? call <phone>", "ask_funding", "funding")]
    assert items[0].reasons == {"staff_topic"}
    assert "1 resolved ticket" in note


def test_no_tickets_table_is_skipped(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "bot.db").close()
    assert staff_items(f"sqlite:///{tmp_path / 'bot.db'}", INTENTS) == (
        [], "no tickets table: staff topics skipped")


def test_topic_names_map_to_intents() -> None:
    assert topic_intent("funding", INTENTS) == "ask_funding"
    assert topic_intent("mentors", INTENTS) == "ask_mentor"
    assert topic_intent("out_of_scope", INTENTS) == "out_of_scope"
    assert topic_intent("visa", INTENTS) is None


def test_inbox_command_lists_json_lines(tracker_db: Path, tmp_path: Path) -> None:
    env = {**os.environ, "RASA_TRACKER_DB": str(tracker_db), "EMERGEBOT_VAR_DIR": str(tmp_path),
           "DATABASE_URL": _tickets_db(tmp_path / "bot.db")}
    env.pop("TRACKER_STORE_URL", None)
    result = subprocess.run([EMERGEBOT, "nlu", "inbox", "--json"], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["text"] == "Any money for my farm app?" and lines[0]["count"] == 2
    staff = next(line for line in lines if line["staff_topic"])
    assert staff["suggestions"][0][0] == "ask_funding" and staff["reasons"] == ["staff_topic"]
    text = subprocess.run([EMERGEBOT, "nlu", "inbox", "--language", "fr"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True).stdout
    assert "fr · greet · 1 message(s)" in text and "Awa" not in text
