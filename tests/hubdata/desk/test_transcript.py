"""The conversation before the handoff, read from Rasa's tracker events."""

from __future__ import annotations

from datetime import datetime, timezone

from hubdata.desk.transcript import from_tracker

EVENTS = [
    {"event": "action", "name": "action_listen", "timestamp": 1.0},
    {"event": "user", "text": "grants in Kenya?", "timestamp": 10.0,
     "parse_data": {"intent": {"name": "ask_funding"}}},
    {"event": "bot", "text": None, "timestamp": 11.0,
     "data": {"custom": {"msgid": "results.found", "params": {"count": 3}}}},
    {"event": "user", "text": "/ask_mentor", "timestamp": 20.0,
     "parse_data": {"intent": {"name": "ask_mentor"}}},
    {"event": "user", "text": "\u2060/restart please", "timestamp": 30.0},
    {"event": "bot", "text": "plain words", "timestamp": 31.0},
    {"event": "user", "text": "relayed", "timestamp": 40.0, "metadata": {"desk_ticket": 3}},
    {"event": "slot", "name": "topic", "value": "funding", "timestamp": 41.0},
]


def render(msgid: str, params: object) -> str:
    return f"<{msgid} {params}>"


def test_founder_and_bot_turns_in_order() -> None:
    lines = from_tracker(EVENTS, render)
    assert [(line.author, line.text) for line in lines] == [
        ("founder", "grants in Kenya?"),
        ("bot", "<results.found {'count': 3}>"),
        ("founder", "[ask_mentor]"),
        ("founder", "/restart please"),
        ("bot", "plain words"),
    ]
    assert lines[0].at == datetime.fromtimestamp(10.0, timezone.utc)


def test_since_and_limit() -> None:
    since = datetime.fromtimestamp(15.0, timezone.utc)
    assert [line.text for line in from_tracker(EVENTS, render, since=since)] == [
        "[ask_mentor]", "/restart please", "plain words"]
    assert [line.text for line in from_tracker(EVENTS, render, limit=1)] == ["plain words"]
