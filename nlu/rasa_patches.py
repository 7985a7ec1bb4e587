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

Rasa imports input channels before it loads the model and the tracker store, so
``nlu/channel.py`` installing these is early enough.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
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


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, with the validator built once."""
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
    once."""
    from http import HTTPStatus

    from jsonschema.exceptions import best_match
    from rasa.server import ErrorResponse, _docs

    events = request.json if isinstance(request.json, list) else [request.json]
    error = best_match(_events_validator().iter_errors(events))
    if error is not None:
        raise ErrorResponse(
            HTTPStatus.BAD_REQUEST,
            "BadRequest",
            f"Failed to validate the events format. "
            f"For more information about the format visit the docs. Error: {error}",
            help_url=_docs("/pages/http-api"),
        ) from error


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
    tracker_store.create_engine_kwargs = functools.partial(
        tracker_engine_kwargs, tracker_store.create_engine_kwargs)
    event.listen(Engine, "connect", _sqlite_pragmas)
    _installed = True
    logger.debug("Rasa patches installed (nlu/rasa_patches.py)")
