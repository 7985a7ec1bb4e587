"""Tests of nlu/rasa_patches.py: Rasa's checks kept as they were, made cheap."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.server import ErrorResponse
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu import rasa_patches

VALID = {
    "events": [{"event": "slot", "name": "language", "value": "fr", "timestamp": None}],
    "responses": [{"text": "Bonjour", "buttons": [{"title": "Oui", "payload": "/affirm"}]}],
}


@pytest.fixture(autouse=True)
def installed() -> None:
    """The channel module installs the patches when Rasa starts; do it here."""
    rasa_patches.install()


def test_action_result_check_is_the_patched_one_and_accepts_a_valid_response() -> None:
    assert RemoteAction._validate_action_result is rasa_patches.validate_action_result
    assert RemoteAction._validate_action_result(None, VALID) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    {"events": "not a list"},
    {"responses": ["a bare string, not an object"]},
    {"events": [{"no_event_key": 1}]},
])
def test_action_result_check_still_rejects_what_rasa_rejects(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        RemoteAction._validate_action_result(None, bad)  # type: ignore[arg-type]
    assert "Failed to validate Action server response" in raised.value.message


class _Request:
    def __init__(self, body: Any) -> None:
        self.json = body


def test_events_body_check_accepts_valid_and_refuses_invalid_events() -> None:
    import rasa.server

    check = rasa.server.validate_events_in_request_body
    assert check is rasa_patches.validate_events_in_request_body
    check(_Request([{"event": "action", "name": "action_listen"}]))
    check(_Request({"event": "pause"}))  # one event, not in a list
    with pytest.raises(ErrorResponse) as raised:
        check(_Request([{"event": "slot", "name": 3}]))
    assert raised.value.status == 400


def test_sqlite_tracker_store_is_pooled_in_wal_mode_and_keeps_events(tmp_path: Path) -> None:
    db = tmp_path / "trackers.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    assert type(store.engine.pool).__name__ == "QueuePool"
    tracker = DialogueStateTracker("founder-1", slots=[])
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("founder-1"))
    assert again is not None and again.latest_message.text == "hello"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.engine.dispose()


def test_postgresql_tracker_store_arguments_are_left_as_rasa_makes_them() -> None:
    from rasa.core import tracker_store

    kwargs = tracker_store.create_engine_kwargs("postgresql://127.0.0.1/rasa")
    assert "poolclass" not in kwargs and kwargs["pool_size"] > 0


def test_a_model_load_is_followed_by_freezing_the_heap() -> None:
    import gc

    from rasa.core.agent import Agent

    loaded: list[str] = []
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    result = rasa_patches.load_model_then_freeze(
        "agent", lambda agent, path: loaded.append(path) or "done", "models/x.tar.gz")
    assert result == "done" and loaded == ["models/x.tar.gz"]
    assert gc.get_freeze_count() > 1000  # everything alive now, pytest and Rasa included
    gc.unfreeze()
    assert isinstance(Agent.__dict__["load_model"], functools.partialmethod)


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        first = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is first
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")
    events = [{"event": "user", "text": "hi", "parse_data": {}},
              {"event": "slot", "name": "topic", "value": "funding"}]
    assert [type(Event.from_parameters(e)) for e in events] == [UserUttered, SlotSet]


def test_the_intent_classifier_loads_with_weights_in_fortran_order(tmp_path: Path) -> None:
    """Same predictions, and a transpose that SciPy need not copy on every parse."""
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from scipy.sparse import csr_matrix

    storage = LocalModelStorage(tmp_path)
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "1")

    def message(text: str, intent: str | None, vector: list[float]) -> Message:
        data = {"text": text, **({"intent": intent} if intent else {})}
        found = Message(data=data)
        found.add_features(Features(csr_matrix(np.array([vector])), "sentence", "text", "f"))
        return found

    examples = [message(f"t{i}", "a" if i % 2 else "b", [i % 2, 1 - i % 2, 0.1 * i])
                for i in range(20)]
    trained = LogisticRegressionClassifier.create(
        LogisticRegressionClassifier.get_default_config(), storage, resource, context)
    trained.train(TrainingData(examples))
    loaded = LogisticRegressionClassifier.load(
        LogisticRegressionClassifier.get_default_config(), storage, resource, context)
    assert loaded.clf.coef_.T.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(loaded.clf.coef_, trained.clf.coef_)
    probe = [message("x", None, [1, 0, 0.3])]
    assert loaded.process(probe)[0].get("intent")["name"] == "a"


def test_the_sqlite_tracker_journal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    """No commit on Rasa's event loop copies the journal into the database; a thread does,
    every second, so the database file grows without anyone asking for a checkpoint."""
    import threading
    import time

    db = tmp_path / "trackers.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert any(t.name == "sqlite-checkpoint" and t.is_alive() for t in threading.enumerate())
    before = db.stat().st_size
    tracker = DialogueStateTracker("founder-2", slots=[])
    for i in range(200):
        tracker.update(UserUttered(f"message {i} " + "x" * 500, {"name": "greet"}))
    asyncio.run(store.save(tracker))
    deadline = time.monotonic() + 10
    while db.stat().st_size <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert db.stat().st_size > before + 100_000
    store.engine.dispose()
