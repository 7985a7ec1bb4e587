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


def _rasas_verdict(result: Any, schema: dict[str, Any]) -> str | None:
    """Rasa's own check (``jsonschema.validate``): None, or the message it raises."""
    import jsonschema

    try:
        jsonschema.validate(result, schema)
    except ValidationError as error:
        return error.message
    return None


EVENTS = [
    {"event": "slot", "name": "topic", "value": "funding"},
    {"event": "slot", "name": "topic"},  # SlotSet requires a value
    {"event": "slot", "name": 3, "value": None},
    {"event": "bot", "text": "hi", "data": {}},
    {"event": "action", "name": "action_listen", "hide_rule_turn": "no"},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"},
                                                    "entities": [{"entity": "x"}]}},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
    {"event": "followup", "name": "utter_greet"},
    {"event": "no such event"},
    {"event": 7},
    {"name": "no event key"},
    "not an object",
    {"event": "entities", "entities": []},
    {"event": "restart"}, {"event": "pause"}, {"event": "reset_slots"},
]


@pytest.mark.parametrize("result", [
    VALID, {}, {"events": []}, {"responses": []}, {"events": None}, [], "text", None,
    {"events": EVENTS[:1], "responses": "x"},
    *({"events": [event]} for event in EVENTS),
    {"events": EVENTS[:1] + EVENTS[3:4] + EVENTS[-3:]},
    {"events": EVENTS},
])
def test_action_results_are_accepted_and_refused_exactly_as_rasa_does(result: Any) -> None:
    """The fast check accepts only what Rasa accepts; a refusal is Rasa's own error."""
    schema = RemoteAction.action_response_format_spec()
    rasas = _rasas_verdict(result, schema)
    fast = rasa_patches._action_result_fast_check()
    assert fast is not None
    assert fast(result) == (rasas is None)
    if rasas is None:
        assert RemoteAction._validate_action_result(None, result) is True  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError) as raised:
            RemoteAction._validate_action_result(None, result)  # type: ignore[arg-type]
        assert raised.value.message.startswith(rasas + ". Failed to validate Action server")


@pytest.mark.parametrize("body", [[event] for event in EVENTS] + [EVENTS, [], EVENTS[0]])
def test_event_bodies_are_accepted_and_refused_exactly_as_rasa_does(body: Any) -> None:
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    events = body if isinstance(body, list) else [body]
    rasas = _rasas_verdict(events, EVENTS_SCHEMA)
    fast = rasa_patches._events_fast_check()
    assert fast is not None and fast(events) == (rasas is None)
    if rasas is None:
        rasa_patches.validate_events_in_request_body(_Request(body))
    else:
        with pytest.raises(ErrorResponse) as raised:
            rasa_patches.validate_events_in_request_body(_Request(body))
        assert raised.value.status == 400 and rasas in raised.value.error_info["message"]


def test_a_schema_of_another_shape_keeps_the_full_check() -> None:
    from jsonschema.validators import Draft202012Validator

    check = rasa_patches._one_event_check
    item = {"type": "object", "properties": {"event": {"type": "string"}},
            "required": ["event"], "oneOf": [{"properties": {"event": {"const": "a"}}}]}
    assert check(Draft202012Validator, {"type": "array", "items": item}) is not None
    assert check(Draft202012Validator, {"type": "array", "items": {**item, "anyOf": []}}) is None
    twice = {**item, "oneOf": item["oneOf"] * 2}  # two branches for one name: none can match
    assert check(Draft202012Validator, {"type": "array", "items": twice}) is None
    loose = {**item, "oneOf": [{"properties": {"event": {"type": "string"}}}]}
    assert check(Draft202012Validator, {"type": "array", "items": loose}) is None


def _tracker_with_a_conversation() -> tuple[DialogueStateTracker, Domain]:
    from rasa.shared.core.events import ActionExecuted, SlotSet

    domain = Domain.from_dict({
        "intents": ["greet", "ask_funding"], "entities": ["country"],
        "actions": ["action_search"], "responses": {"utter_greet": [{"text": "hi"}]},
        "slots": {"country": {"type": "categorical", "values": ["ke", "ng"],
                              "mappings": [{"type": "from_entity", "entity": "country"}]}}})
    tracker = DialogueStateTracker("founder-3", domain.slots)
    tracker.update_with_events([
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
        UserUttered("money in kenya", {"name": "ask_funding", "confidence": 1.0},
                    [{"entity": "country", "value": "ke", "start": 9, "end": 14}]),
        SlotSet("country", "ke"),
    ], domain)
    return tracker, domain


def test_past_states_are_remembered_only_while_the_tracker_is_the_same() -> None:
    from rasa.shared.core.events import ActionExecuted, SlotSet

    original = DialogueStateTracker.__dict__["past_states"].args[0]  # Rasa's
    tracker, domain = _tracker_with_a_conversation()
    rule_only = {"rule_only_slots": ["country"], "rule_only_loops": []}
    for kwargs in ({}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only},
                   {"omit_unset_slots": True}):
        first = tracker.past_states(domain, **kwargs)
        assert first == original(tracker, domain, **kwargs)
        first[-1].clear()  # a caller changing its states changes nobody else's
        first[0].setdefault("prev_action", {})["action_name"] = "changed"
        assert tracker.past_states(domain, **kwargs) == original(tracker, domain, **kwargs)
    before = tracker.past_states(domain)
    tracker.update(ActionExecuted("action_search"))
    assert tracker.past_states(domain) == original(tracker, domain) != before
    tracker.update(SlotSet("country", "ng"))
    assert tracker.past_states(domain) == original(tracker, domain)
    other, _ = _tracker_with_a_conversation()  # equal events, other objects
    assert other.past_states(domain) == original(other, domain)
    tracker.events.pop()  # the same number of events again after a new one: not the same
    tracker.events.append(SlotSet("country", "ke"))
    assert tracker.past_states(domain) == original(tracker, domain)
    changed = dict(rule_only, rule_only_slots=[])
    assert tracker.past_states(domain, False, True, changed) == \
        original(tracker, domain, False, True, changed)


def test_past_states_continued_turn_by_turn_are_rasas() -> None:
    """States remembered and continued as events arrive, with hidden rule turns, followups,
    reverted turns, loops and new sessions: always what Rasa computes from scratch."""
    import random

    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        FollowupAction,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
    )

    original = DialogueStateTracker.__dict__["past_states"].args[0]
    _, domain = _tracker_with_a_conversation()
    rule_only = {"rule_only_slots": ["country"], "rule_only_loops": ["a_loop"]}
    makers = [
        lambda r: [ActionExecuted("action_listen"),
                   UserUttered("hi", {"name": r.choice(["greet", "ask_funding"])})],
        lambda r: [ActionExecuted(r.choice(["utter_greet", "action_search"]),
                                  hide_rule_turn=r.random() < 0.3)],
        lambda r: [SlotSet("country", r.choice(["ke", "ng", None]))],
        lambda r: [FollowupAction("utter_greet")],
        lambda r: [UserUtteranceReverted()], lambda r: [ActionReverted()],
        lambda r: [ActiveLoop(r.choice(["a_loop", None]))], lambda r: [Restarted()],
        lambda r: [ActionExecuted("action_session_start"), SessionStarted()],
    ]
    weights = [6, 6, 3, 1, 1, 1, 1, 1, 1]
    for seed in range(30):
        rnd = random.Random(seed)
        tracker = DialogueStateTracker(f"founder-{seed}", domain.slots)
        for _ in range(40):
            tracker.update_with_events(rnd.choices(makers, weights)[0](rnd), domain)
            for kwargs in ({}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only},
                           {"omit_unset_slots": True}):
                assert tracker.past_states(domain, **kwargs) == \
                    original(tracker, domain, **kwargs)
