"""The embedded layout's tracker store: the rows Rasa's own store would write and read."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from emergebot import rasa_endpoints
from hubdata.settings import Settings
from nlu.tracker_store import SingleWriterSQLTrackerStore

DOMAIN = Domain.from_dict({"intents": ["greet"], "slots": {"topic": {
    "type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}}})


def turn(text: str, at: float) -> list[Any]:
    return [
        UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=at),
        SlotSet("topic", text, timestamp=at + 0.1),
        BotUttered(f"re: {text}", timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]


async def talk(store: TrackerStore, sender: str, events: list[Any]) -> None:
    """What Rasa's processor does with a message: read, add events, save."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update_with_events(events, DOMAIN)
    await store.save(tracker)


def test_the_embedded_endpoints_make_this_store_and_several_replicas_do_not(
    tmp_path: Path,
) -> None:
    env = {"EMERGEBOT_VAR_DIR": str(tmp_path), "RASA_TRACKER_DB": str(tmp_path / "t.db")}
    one = rasa_endpoints.tracker_store(Settings.from_env(env))
    store = TrackerStore.create(EndpointConfig.from_dict(one), DOMAIN)
    # Rasa falls back to an in-memory store, with a warning only, if the class cannot load
    assert isinstance(store, SingleWriterSQLTrackerStore)
    two = rasa_endpoints.tracker_store(Settings.from_env({**env, "RASA_REPLICAS": "2"}))
    assert two["type"] == "SQL"


def test_reads_and_writes_the_rows_rasas_store_would(tmp_path: Path) -> None:
    db = str(tmp_path / "trackers.db")
    ours = SingleWriterSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    theirs = SQLTrackerStore(DOMAIN, dialect="sqlite", db=db)

    async def scenario() -> None:
        start = [ActionExecuted("action_session_start", timestamp=1.0),
                 SessionStarted(timestamp=1.1), ActionExecuted("action_listen", timestamp=1.2)]
        await talk(ours, "f1", start + turn("hello", 2.0))
        await talk(ours, "f1", turn("grants", 3.0))
        await talk(ours, "f2", turn("other chat", 3.5))
        mine, rasas = await ours.retrieve("f1"), await theirs.retrieve("f1")
        assert mine is not None and rasas is not None
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in rasas.events]
        assert mine.get_slot("topic") == "grants"
        # a new session: Rasa reads from its start from now on, and so do we
        restart = [ActionExecuted("action_session_start", timestamp=10.0),
                   SessionStarted(timestamp=10.1), SlotSet("topic", "grants", timestamp=10.2),
                   ActionExecuted("action_listen", timestamp=10.3)]
        await talk(ours, "f1", restart + turn("mentors", 11.0))
        mine, rasas = await ours.retrieve("f1"), await theirs.retrieve("f1")
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in rasas.events]
        assert isinstance(mine.events[0], SessionStarted)
        await talk(ours, "f1", turn("thanks", 12.0))
        full = await theirs.retrieve_full_tracker("f1")
        texts = [e.text for e in full.events if isinstance(e, UserUttered)]
        assert texts == ["hello", "grants", "mentors", "thanks"]  # each stored once
        assert len(full.events) == 3 + 4 * 2 + 4 + 4 * 2

    asyncio.run(scenario())
    ours.engine.dispose()
    theirs.engine.dispose()


def test_a_failed_save_forgets_the_conversation(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "trackers.db")
    ours = SingleWriterSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)

    async def scenario() -> None:
        await talk(ours, "f1", turn("hello", 2.0))
        await ours.retrieve("f1")
        assert "f1" in ours._sessions
        tracker = await ours.retrieve("f1")
        tracker.update_with_events(turn("lost", 3.0), DOMAIN)
        real = ours.session_scope

        def broken() -> Any:
            raise RuntimeError("database went away")

        monkeypatch.setattr(ours, "session_scope", broken)
        with pytest.raises(RuntimeError):
            await ours.save(tracker)
        assert "f1" not in ours._sessions
        monkeypatch.setattr(ours, "session_scope", real)
        again = await ours.retrieve("f1")  # read from the database: the lost turn is not there
        assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hello"]

    asyncio.run(scenario())
    ours.engine.dispose()


def test_saves_insert_exactly_the_rows_rasas_store_inserts(tmp_path: Path) -> None:
    """Every column of every row, ids included, as Rasa's own save writes them."""
    import json
    import sqlite3

    stores = {"ours": SingleWriterSQLTrackerStore(DOMAIN, dialect="sqlite",
                                                  db=str(tmp_path / "ours.db")),
              "rasa": SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))}

    async def scenario(store: TrackerStore) -> None:
        start = [ActionExecuted("action_session_start", timestamp=1.0),
                 SessionStarted(timestamp=1.1), ActionExecuted("action_listen", timestamp=1.2)]
        await talk(store, "f1", start + turn("hello", 2.0))
        await talk(store, "f2", turn("other chat", 2.5))
        await talk(store, "f1", turn("grants", 3.0))
        await talk(store, "f1", [])  # nothing new: nothing inserted
        restart = [ActionExecuted("action_session_start", timestamp=10.0),
                   SessionStarted(timestamp=10.1), SlotSet("topic", "grants", timestamp=10.2),
                   ActionExecuted("action_listen", timestamp=10.3)]
        await talk(store, "f1", restart + turn("mentors", 11.0))
        await talk(store, "f1", turn("thanks", 12.0))

    rows = {}
    for name, store in stores.items():
        asyncio.run(scenario(store))
        store.engine.dispose()
        with sqlite3.connect(tmp_path / f"{name}.db") as conn:
            found = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
        # update_with_events stamps events with the time they are added: the one difference
        rows[name] = [(*row[:3], row[3] > 1e9, *row[4:6],
                       {k: v for k, v in json.loads(row[6]).items() if k != "timestamp"})
                      for row in found]
    assert rows["ours"] == rows["rasa"] and len(rows["ours"]) == 3 + 4 * 5 + 4
    assert "f1" in stores["ours"]._sessions  # the saves above went through the remembered path
