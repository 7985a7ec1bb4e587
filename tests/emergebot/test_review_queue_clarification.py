"""The founder labels an unsure message by choosing between the two topics the bot asked about."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from emergebot import review_queue
from hubdata.settings import PROJECT_ROOT
from tests.emergebot import trackers as t

EMERGEBOT = str(Path(sys.executable).with_name("emergebot"))
UNSURE = [("ask_funding", 0.35), ("ask_mentor", 0.33), ("ask_training", 0.1)]


def clarify(first: str = "ask_funding", second: str = "ask_mentor") -> Any:
    """The question action_handle_fallback asks, with its buttons, as Rasa records it."""
    from rasa.shared.core.events import BotUttered

    buttons = [{"msgid": "topic.funding", "payload": f"/{first}"},
               {"msgid": "topic.mentor", "payload": f"/{second}"},
               {"msgid": "button.something_else", "payload": "/deny"}]
    return BotUttered(None, {"custom": {"msgid": "clarify.ask", "buttons": buttons,
                                        "params": {"seeking": "funding",
                                                   "seeking_other": "mentor"}}})


def _items(path: Path) -> dict[str, review_queue.ReviewItem]:
    turns = review_queue.read_turns(review_queue.tracker_url(str(path)))
    return {item.text: item for item in review_queue.collect(turns)}


def test_the_button_pressed_after_the_question_labels_the_unsure_message(tmp_path: Path) -> None:
    db = t.write(tmp_path / "tracker.db", {
        "201": [
            t.user("someone to back my agri app", UNSURE),
            t.action("action_handle_fallback"), clarify(),
            t.user("/ask_mentor", [("ask_mentor", 1.0)]),
            t.action("action_search_resources"), t.bot("results.found"),
        ],
    })
    item = _items(db)["someone to back my agri app"]
    assert item.founder_choice == "ask_mentor"
    assert item.suggested == "ask_mentor"  # first, ahead of the model's own guess
    assert [name for name, _ in item.suggestions] == ["ask_mentor", "ask_funding", "ask_training"]
    assert "founder_choice" in item.reasons and "fallback" in item.reasons
    assert item.as_json()["founder_choice"] == "ask_mentor"


def test_something_else_typed_words_or_a_later_button_are_no_label(tmp_path: Path) -> None:
    db = t.write(tmp_path / "tracker.db", {
        "202": [  # "something else"
            t.user("need backing for my shop", UNSURE), clarify(),
            t.user("/deny", [("deny", 1.0)]),
        ],
        "203": [  # the founder typed instead of pressing
            t.user("help my startup grow", UNSURE), clarify(),
            t.user("a mentor", [("ask_mentor", 0.9)]),
        ],
        "204": [  # a topic button pressed later, after another message: not an answer
            t.user("funds or guidance pls", UNSURE), clarify(),
            t.user("hmm", [("greet", 0.2)]),
            t.user("/ask_funding", [("ask_funding", 1.0)]),
        ],
        "205": [  # a topic that was not offered
            t.user("backing for my clinic app", UNSURE), clarify(),
            t.user("/ask_hubs", [("ask_hubs", 1.0)]),
        ],
    })
    items = _items(db)
    for text in ("need backing for my shop", "help my startup grow", "funds or guidance pls",
                 "backing for my clinic app"):
        assert items[text].founder_choice is None, text
        assert "founder_choice" not in items[text].reasons
        assert items[text].suggested == "ask_funding"


def test_inbox_command_shows_the_founders_choice(tmp_path: Path) -> None:
    db = t.write(tmp_path / "tracker.db", {
        "206": [t.user("someone to back my agri app", UNSURE), clarify(),
                t.user("/ask_mentor", [("ask_mentor", 1.0)])],
    })
    env = {**os.environ, "RASA_TRACKER_DB": str(db), "EMERGEBOT_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    env.pop("TRACKER_STORE_URL", None)
    result = subprocess.run([EMERGEBOT, "nlu", "inbox"], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "en · ask_mentor · 1 message(s)" in result.stdout
    assert review_queue.REASONS["founder_choice"] in result.stdout
