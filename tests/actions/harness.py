"""Hand-built trackers for the actions, a way to run one, and readers of what it said and stored."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from hubdata import founders
from hubdata.db import transaction
from hubdata.models import Ticket

SENDER = "4242"
USER = 4242


def entity(name: str, value: str, text: str = "", start: int | None = None) -> dict[str, Any]:
    """An entity as Rasa puts it in parse data (offsets when the mention is in ``text``)."""
    found: dict[str, Any] = {"entity": name, "value": value}
    if start is not None:
        found |= {"start": start, "end": start + len(text)}
    return found


def tracker(
    text: str = "",
    intent: str | None = None,
    entities: Iterable[dict[str, Any]] = (),
    slots: dict[str, Any] | None = None,
    ranking: Iterable[str] = (),
    reply_language: str | None = "fr",
    earlier_texts: Iterable[str] = (),
) -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": list(entities),
        "intent_ranking": [
            {"name": name, "confidence": round(0.5 - i * 0.05, 2)}
            for i, name in enumerate(ranking)
        ],
    }
    metadata = {"reply_language": reply_language} if reply_language else {}
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    for earlier in earlier_texts:
        events += [
            {"event": "user", "text": earlier, "parse_data": {}, "metadata": {}},
            {"event": "action", "name": "action_listen"},
        ]
    events.append({"event": "user", "text": text, "parse_data": latest, "metadata": metadata})
    return Tracker(SENDER, dict(slots or {}), latest, events, False, None, {}, "action_listen")


async def run(action: Action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``action``; return the json messages it sent and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    for message in dispatcher.messages:
        assert message["text"] is None and message["buttons"] == []
    return [m["custom"] for m in dispatcher.messages], events


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(e["event"] == "slot" for e in events), events
    return {e["name"]: e["value"] for e in events}


def payload(button: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split a button payload "/intent{json}" into the intent and its entities."""
    text = button["payload"]
    assert text.startswith("/")
    intent, _, rest = text[1:].partition("{")
    return intent, json.loads("{" + rest) if rest else {}


async def stored_founder(sessions: sessionmaker):
    async with transaction(sessions) as session:
        return await founders.get(session, USER)


async def stored_escalations(sessions: sessionmaker) -> list[Ticket]:
    async with transaction(sessions) as session:
        return list((await session.execute(select(Ticket))).scalars())
