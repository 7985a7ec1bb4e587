"""What the actions share at run time: the database, opened when the server starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from hubdata.db import make_engine, make_session_factory
from hubdata.settings import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, Settings


@dataclass
class Runtime:
    """The action server's resources."""

    settings: Settings
    engine: AsyncEngine
    sessions: sessionmaker
    clock: Callable[[], date] = field(default=date.today)  # tests set the day


_runtime: Runtime | None = None


def start(settings: Settings) -> Runtime:
    """Open the database for the actions (called once at server start, or by tests)."""
    global _runtime
    engine = make_engine(settings.database_url)
    _runtime = Runtime(settings, engine, make_session_factory(engine))
    return _runtime


async def stop() -> None:
    """Close the database."""
    global _runtime
    if _runtime is not None:
        await _runtime.engine.dispose()
        _runtime = None


def current() -> Runtime:
    """The running runtime; start() must have been called."""
    if _runtime is None:
        raise RuntimeError("the action server's runtime is not started")
    return _runtime


def today() -> date:
    """The day the catalogue's lifecycle is judged on (calls closed, events over)."""
    return current().clock()


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the adapter sent with the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return dict(event.get("metadata") or {})
    return {}


def user_id(tracker: Tracker) -> int:
    """The founder's Telegram user id (Rasa's sender id)."""
    return int(tracker.sender_id)


def reply_language(tracker: Tracker) -> str:
    """The language the adapter will answer in, as it told us."""
    lang = latest_metadata(tracker).get("reply_language")
    return lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def entity_values(tracker: Tracker) -> dict[str, str]:
    """The latest message's entities, one value per entity name (the first found)."""
    values: dict[str, str] = {}
    for entity in tracker.latest_message.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name and isinstance(value, str) and name not in values:
            values[name] = value
    return values
