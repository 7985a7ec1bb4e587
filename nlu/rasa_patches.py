"""Measured fixes to Rasa 3.6's per-message cost, installed when the Rasa server starts.

Each was found by ``make bench`` (py-spy, see bench/results/latest.md, "Profile"):

1. Every response from the action server (and every body of ``POST .../tracker/events``) is
   checked against Rasa's JSON schema with ``jsonschema.validate``, which first checks the
   *schema* against the JSON-Schema meta-schema and builds a new validator: about half of the
   Rasa server's main thread at 30 msg/s, 14 ms per check against 0.3 ms. The same checks
   are kept, with each validator built (and its schema checked) once.
2. The embedded SQLite tracker store gets SQLAlchemy 1.4's default for pysqlite files, no
   connection pool (a new connection per read and write), and SQLite's rollback journal, whose
   commits wait for the disk on the event loop's thread. It gets a small pool and the WAL
   journal with ``synchronous=NORMAL``: a commit is safe when the process dies, and only the
   last turns of the conversation history can be lost if the machine itself loses power.
   The journal is copied into the database by a background thread every second, not by
   whichever commit fills it on the event loop's thread.
   PostgreSQL tracker stores are left exactly as Rasa makes them.
3. Every event read back from the tracker store finds its class by walking all subclasses of
   ``Event`` (``resolve_by_type``, 4% of the main thread); the classes are looked up by name
   in a table built from the same walk, rebuilt when a name is not found.
4. The intent classifier's weights are a C-ordered (intents x features) array; scikit-learn
   multiplies the sparse features by their transpose, which SciPy first copies into C order:
   the whole 17 x 47,659 matrix on every parse (0.43 ms against 0.03 ms once the weights are
   kept in Fortran order after loading).
5. A full garbage collection walks the ~600,000 objects TensorFlow and the model leave alive
   (0.3 s with the event loop stopped); after each model load they are frozen out of the
   collector's walks (hubdata/heap.py).
6. Checking an action server's response (1.) still cost 3.7% of the main thread: each event
   of the response is tried against all 23 event schemas of Rasa's ``oneOf``, because
   ``oneOf`` must find exactly one that matches. Each of those schemas fixes ``event`` to its
   own constant, so only the schema of the event's name can match: a response is accepted
   when that schema, and the rest of Rasa's schema, accept it, which is exactly when Rasa's
   full check accepts it. Anything else goes through Rasa's full check, which raises the same
   error as before. The shape of Rasa's schema that this relies on is checked when the
   validators are built; a different shape keeps the full check for every response.
7. Every policy featurises the whole conversation session at every prediction (6.3% of the
   main thread): ``DialogueStateTracker.past_states`` replays all the session's events into a
   new tracker, taking the state before each action. RulePolicy asks twice for the same states
   after a user message (by text, then by intent), and the next prediction of the same message
   replays everything again for the one or two events the action added. The last few results
   are remembered with their replayed tracker: the same tracker with the same events (the same
   objects in the same order), slots, domain and arguments gets the same states again, and a
   tracker that only gained events continues the replay from where it stopped, when the new
   events cannot change how the earlier ones apply (no restart, new session, undo, rewind or
   loop event anywhere; Rasa's ``applied_events`` then just appends them). The replay is Rasa's
   ``states_for_tracker_history``, step for step. Callers get their own copy of the states
   (two levels of dicts over immutable values), as a fresh computation would give them.

Rasa imports input channels before it loads the model and the tracker store, so
``nlu/channel.py`` installing these is early enough.
"""

from __future__ import annotations

import copy
import functools
import logging
import operator
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from hubdata.heap import freeze_heap

logger = logging.getLogger(__name__)
_installed = False


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema.validators import validator_for

    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    return _validator(RemoteAction.action_response_format_spec())


@functools.lru_cache(maxsize=1)
def _events_validator() -> Any:
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA  # what rasa.server checks

    return _validator(EVENTS_SCHEMA)


def _one_event_check(cls: Any, events_schema: Any) -> Callable[[Any], bool] | None:
    """A check of one event equivalent to Rasa's ``EVENT_SCHEMA`` when it accepts: the one
    ``oneOf`` branch whose ``event`` constant is the event's name, or None when the schema does
    not have the shape that makes this equivalent (then only the full check is used)."""
    if not isinstance(events_schema, dict) or set(events_schema) != {"type", "items"} \
            or events_schema["type"] != "array":
        return None
    item = events_schema["items"]
    if not isinstance(item, dict) or set(item) != {"type", "properties", "required", "oneOf"} \
            or item["type"] != "object" or not isinstance(item["required"], list) \
            or "event" not in item["required"] or not isinstance(item["properties"], dict) \
            or item["properties"].get("event") != {"type": "string"}:
        return None
    branches: dict[str, Any] = {}
    for branch in item["oneOf"]:
        name = branch.get("properties", {}).get("event") if isinstance(branch, dict) else None
        if not isinstance(name, dict) or set(name) != {"const"} \
                or not isinstance(name["const"], str) or name["const"] in branches:
            return None
        branches[name["const"]] = cls(branch)
    # an object with a string "event": every branch but the one of that name fails
    common = cls({key: value for key, value in item.items() if key != "oneOf"})

    def check(event: Any) -> bool:
        if not common.is_valid(event):
            return False
        branch = branches.get(event["event"])
        return branch is not None and branch.is_valid(event)

    return check


@functools.lru_cache(maxsize=1)
def _action_result_fast_check() -> Callable[[Any], bool] | None:
    """Accepts (True) only what Rasa's action response schema accepts; False: check fully."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    properties = schema.get("properties")
    if set(schema) != {"type", "properties"} or not isinstance(properties, dict) \
            or "events" not in properties:
        return None
    one_event = _one_event_check(cls, properties["events"])
    if one_event is None:
        return None
    rest = cls({**schema, "properties": {**properties, "events": {"type": "array"}}})

    def check(result: Any) -> bool:
        return rest.is_valid(result) and all(map(one_event, result.get("events", ())))

    return check


@functools.lru_cache(maxsize=1)
def _events_fast_check() -> Callable[[Any], bool] | None:
    """Accepts (True) only what Rasa's events schema accepts; False: check fully."""
    from jsonschema.validators import validator_for
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    cls = validator_for(EVENTS_SCHEMA)
    one_event = _one_event_check(cls, EVENTS_SCHEMA)
    if one_event is None:
        return None
    probe = cls({})
    return lambda events: probe.is_type(events, "array") and all(map(one_event, events))


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, with the validator built once and
    the one event schema that can match tried first (module docstring, 6.)."""
    fast = _action_result_fast_check()
    if fast is not None and fast(result):
        return True
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def validate_events_in_request_body(request: Any) -> None:
    """What ``rasa.server.validate_events_in_request_body`` does, with the validator built
    once and the one event schema that can match tried first."""
    from http import HTTPStatus

    from jsonschema.exceptions import best_match
    from rasa.server import ErrorResponse, _docs

    events = request.json if isinstance(request.json, list) else [request.json]
    fast = _events_fast_check()
    if fast is not None and fast(events):
        return
    error = best_match(_events_validator().iter_errors(events))
    if error is not None:
        raise ErrorResponse(
            HTTPStatus.BAD_REQUEST,
            "BadRequest",
            f"Failed to validate the events format. "
            f"For more information about the format visit the docs. Error: {error}",
            help_url=_docs("/pages/http-api"),
        ) from error


PAST_STATES_REMEMBERED = 4  # MemoizationPolicy's and RulePolicy's, of two predictions
_past_states: list[list[Any]] = []


def _own_copy(states: Any) -> list[dict[str, dict[str, Any]]] | None:
    """A copy of a list of states that shares only immutable values with it, or None if the
    states are not two levels of dicts over strings, numbers and tuples of them."""
    leaf = (str, int, float, type(None))
    copied = []
    for state in states:
        if type(state) is not dict:
            return None
        new_state = {}
        for key, sub_state in state.items():
            if type(sub_state) is not dict:
                return None
            for value in sub_state.values():
                if not isinstance(value, leaf) and not (
                        type(value) is tuple and all(isinstance(v, leaf) for v in value)):
                    return None
            new_state[key] = dict(sub_state)
        copied.append(new_state)
    return copied


def _same(seen: Any, now: Any) -> bool:
    return len(seen) == len(now) and all(map(operator.is_, seen, now))


def _replay(domain: Any, replayed: Any, events: Any, fold: tuple[Any, ...],
            omit_unset_slots: bool, ignore_rule_only_turns: bool,
            rule_only_data: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """``Domain.states_for_tracker_history`` over ``generate_all_prior_trackers``, line for
    line, continued from ``fold`` (the states before the last one, and the loop's two
    variables) with ``replayed`` (the tracker with the events so far) and ``events`` (the
    events to apply after them). Returns the states, and the fold to continue from."""
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.core.events import ActionExecuted

    states, last_ml_action_sub_state, turn_was_hidden = fold

    def visit(tr: Any, hide_rule_turn: bool) -> None:
        nonlocal last_ml_action_sub_state, turn_was_hidden
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                return
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = last_ml_action_sub_state
        states.append(domain._clean_state(state))

    for event in events:
        if isinstance(event, ActionExecuted):
            visit(replayed, event.hide_rule_turn)
        replayed.update(event)
    kept = (list(states), last_ml_action_sub_state, turn_was_hidden)
    visit(replayed, False)
    return states, kept


def _appends_only(events: Any) -> bool:
    """Whether ``applied_events`` of a tracker whose events hold no ``ActiveLoop`` is that of
    its first events followed by ``events``: no event that removes or undoes events, and no
    loop (whose executions can undo earlier ones)."""
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
    )

    undoing = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)
    return not any(isinstance(event, undoing) for event in events)


def remembered_past_states(tracker: Any, original: Any, domain: Any,
                           omit_unset_slots: bool = False,
                           ignore_rule_only_turns: bool = False,
                           rule_only_data: dict[str, Any] | None = None) -> Any:
    """``DialogueStateTracker.past_states``, remembered while everything it reads is the same,
    and continued from the last result when the tracker only gained events (module
    docstring, 7.)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    events = tracker.events
    slots = tuple(tracker.slots.values()) if type(tracker.slots) is dict else None
    arguments = (omit_unset_slots, ignore_rule_only_turns, tracker.sender_id,
                 tracker._max_event_history, tracker.is_rule_tracker)
    if (slots is None or type(tracker) is not DialogueStateTracker
            or type(domain) is not Domain):
        return original(tracker, domain, omit_unset_slots=omit_unset_slots,
                        ignore_rule_only_turns=ignore_rule_only_turns,
                        rule_only_data=rule_only_data)
    found = None
    for entry in _past_states:
        ref, seen_domain, seen_arguments, seen_rule_only, seen_slots, seen_events = entry[:6]
        if (ref() is tracker and seen_domain is domain and seen_arguments == arguments
                and seen_rule_only == rule_only_data and _same(seen_slots, slots)
                and len(seen_events) <= len(events)
                and all(map(operator.is_, seen_events, events))):
            found = entry
            break
    states = None
    if found is not None:
        _past_states.remove(found)  # its replayed tracker moves on, or is left behind
        seen_events, kept, replayed, fold, appendable = found[5:]
        if len(seen_events) == len(events):
            states = kept
        elif appendable:
            new_events = list(events)[len(seen_events):]
            if _appends_only(new_events):
                states, fold = _replay(domain, replayed, new_events, (list(fold[0]), *fold[1:]),
                                       omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    if states is None:
        from rasa.shared.core.events import ActiveLoop

        appendable = not any(isinstance(event, ActiveLoop) for event in events)
        replayed = tracker.init_copy()
        states, fold = _replay(domain, replayed, tracker.applied_events(), ([], None, False),
                               omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    kept = _own_copy(states)
    if kept is None:
        return states
    try:
        ref = weakref.ref(tracker)
    except TypeError:
        return states
    _past_states.insert(0, [ref, domain, arguments, copy.deepcopy(rule_only_data), slots,
                            list(events), kept, replayed, fold, appendable])
    del _past_states[PAST_STATES_REMEMBERED:]
    return _own_copy(kept)


_EVENT_TYPES: dict[str, Any] = {}


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """What ``Event.resolve_by_type`` returns, from a table instead of a walk each time."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    found = _EVENT_TYPES.get(type_name)
    if found is None:
        _EVENT_TYPES.clear()
        for cls in all_subclasses(Event):  # the first class with a name wins, as in Rasa
            _EVENT_TYPES.setdefault(cls.type_name, cls)
        found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # Rasa's backwards compatibility with old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def tracker_engine_kwargs(original: Any, url: Any) -> dict[str, Any]:
    """Rasa's engine arguments, plus a connection pool for a SQLite file."""
    kwargs = dict(original(url))
    text = str(url)
    if text.startswith("sqlite") and ":memory:" not in text and text.rstrip("/") != "sqlite:":
        from sqlalchemy.pool import QueuePool

        kwargs.update(poolclass=QueuePool, pool_size=2, max_overflow=8,
                      connect_args={"check_same_thread": False, "timeout": 30})
    return kwargs


CHECKPOINT_INTERVAL_S = 1.0
_checkpointers: dict[str, threading.Thread] = {}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Copying the journal into the database (a checkpoint) would otherwise fall on the
        # commit that fills it, on the event loop's thread; a background thread does it.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        path = next((row[2] for row in cursor.execute("PRAGMA database_list")
                     if row[1] == "main"), "")
        cursor.close()
        if path:
            _start_checkpointer(path)


def _start_checkpointer(path: str) -> None:
    """Checkpoint ``path``'s journal every second from a thread of its own (PASSIVE: it never
    waits for, nor blocks, the readers and writers)."""
    if path in _checkpointers:
        return

    def run() -> None:
        connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        while True:
            time.sleep(CHECKPOINT_INTERVAL_S)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as error:  # the next round tries again
                logger.warning("checkpoint of %s failed: %s", path, error)

    thread = threading.Thread(target=run, name="sqlite-checkpoint", daemon=True)
    _checkpointers[path] = thread
    thread.start()


def load_model_then_freeze(agent: Any, original: Any, *args: Any, **kwargs: Any) -> Any:
    """``Agent.load_model`` (at start and on ``PUT /model``), then keep the loaded model out
    of the garbage collector's walks (hubdata/heap.py)."""
    result = original(agent, *args, **kwargs)
    freeze_heap()
    return result


def load_classifier_fortran(original: Any, *args: Any, **kwargs: Any) -> Any:
    """``LogisticRegressionClassifier.load``, with the weights stored so that their transpose
    is C-contiguous (the same numbers; scikit-learn's product no longer copies them)."""
    import numpy as np

    component = original(*args, **kwargs)
    model = getattr(component, "clf", None)
    if getattr(model, "coef_", None) is not None:
        model.coef_ = np.asfortranarray(model.coef_)
    return component


def install() -> None:
    """Install the fixes once in this process."""
    global _installed
    if _installed:
        return
    import rasa.server
    from rasa.core import tracker_store
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    original = Agent.load_model
    Agent.load_model = functools.partialmethod(  # type: ignore[method-assign]
        load_model_then_freeze, original)
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign]
    load_classifier = LogisticRegressionClassifier.load  # bound to the class

    def load_fortran(_cls: Any, *args: Any, **kwargs: Any) -> Any:
        return load_classifier_fortran(load_classifier, *args, **kwargs)

    LogisticRegressionClassifier.load = classmethod(load_fortran)  # type: ignore[method-assign]
    rasa.server.validate_events_in_request_body = validate_events_in_request_body
    DialogueStateTracker.past_states = functools.partialmethod(  # type: ignore[method-assign]
        remembered_past_states, DialogueStateTracker.past_states)
    tracker_store.create_engine_kwargs = functools.partial(
        tracker_engine_kwargs, tracker_store.create_engine_kwargs)
    event.listen(Engine, "connect", _sqlite_pragmas)
    _installed = True
    logger.debug("Rasa patches installed (nlu/rasa_patches.py)")
