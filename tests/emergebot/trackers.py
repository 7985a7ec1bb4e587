"""Tracker store databases for tests, written by Rasa's own SQLTrackerStore and event classes,
so the rows have exactly the format the bot's Rasa server writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

FALLBACK_THRESHOLD = 0.40


def parse_data(text: str, ranking: list[tuple[str, float]], language: str | None = "en",
               entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What Rasa's NLU returns, with FallbackClassifier's rule applied."""
    intent_ranking = [{"name": name, "confidence": conf} for name, conf in ranking]
    top = intent_ranking[0] if intent_ranking else {"name": None, "confidence": 0.0}
    if top["confidence"] < FALLBACK_THRESHOLD:
        top = {"name": "nlu_fallback", "confidence": FALLBACK_THRESHOLD}
        intent_ranking = [top, *intent_ranking]
    return {"text": text, "intent": top, "entities": entities or [],
            "intent_ranking": intent_ranking,
            "language": {"code": language, "confidence": 0.9 if language else 0.0}}


def user(text: str, ranking: list[tuple[str, float]], language: str | None = "en",
         entities: list[dict[str, Any]] | None = None, reply_language: str = "en") -> Any:
    """A founder's message as Rasa records it."""
    from rasa.shared.core.events import UserUttered

    parse = parse_data(text, ranking, language, entities)
    return UserUttered(text, parse["intent"], parse["entities"], parse_data=parse,
                       metadata={"reply_language": reply_language, "chat_id": 1})


def action(name: str) -> Any:
    """An action Rasa ran."""
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name)


def bot(msgid: str) -> Any:
    """A bot reply carrying a message id, as the domain's responses do."""
    from rasa.shared.core.events import BotUttered

    return BotUttered(None, {"custom": {"msgid": msgid}})


def write(path: Path, conversations: dict[str, list[Any]]) -> Path:
    """Save conversations (sender id -> events) into a SQLite tracker store at ``path``."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(dialect="sqlite", db=str(path))

    async def save() -> None:
        for sender, events in conversations.items():
            tracker = DialogueStateTracker.from_events(
                sender, [SessionStarted(), action("action_listen"), *events])
            await store.save(tracker)

    asyncio.run(save())
    store.engine.dispose()
    return path
