"""Rasa's SQL tracker store for the embedded layout, where one Rasa process writes trackers.

Rasa's ``SQLTrackerStore`` reads a conversation's events back from the database at every
message, and before saving counts the stored events to find the new ones: together about a
tenth of the Rasa server's CPU in the benchmark. With a single Rasa process nothing else writes
the tracker table (the adapter and the maintainer tools go through Rasa's HTTP API or only
read), so this store remembers, for recent conversations, the events of the current session as
they are stored (JSON) and their number. Reads and saves are the same rows as Rasa's: a save
inserts exactly the events past that number, and a read rebuilds the tracker from the same
JSON. A failed save forgets the conversation, which is then read from the database again.
A save of a remembered conversation turns each new event into its row once (Rasa's store did
it twice: once for the row, once for what is remembered) and inserts the rows with one
statement, not one ORM object and one statement each: the same rows, in the same order, with
the same values (Rasa's own expressions, below) and ids.

Production (several Rasa replicas on PostgreSQL) keeps Rasa's own store: there a cache in one
replica would miss what the others wrote.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)
rasa_logger = logging.getLogger("rasa.core.tracker_store")  # where Rasa's save logs


class SingleWriterSQLTrackerStore(SQLTrackerStore):
    """A ``SQLTrackerStore`` that remembers the current session's stored events."""

    def __init__(self, *args: Any, cached_conversations: int = 5000, **kwargs: Any) -> None:
        """Rasa's arguments (endpoints.yml), and how many conversations to remember."""
        super().__init__(*args, **kwargs)
        self._limit = int(cached_conversations)
        self._sessions: OrderedDict[str, list[str]] = OrderedDict()

    def _remember(self, sender_id: str, stored: list[str]) -> None:
        self._sessions[sender_id] = stored
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self._limit:
            self._sessions.popitem(last=False)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        stored = self._sessions.get(sender_id)
        if stored is None:
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, False).all()
                stored = [row.data for row in rows]
            self._remember(sender_id, stored)
        else:
            self._sessions.move_to_end(sender_id)
        if not self.domain or not stored:
            return None
        return DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for data in stored], self.domain.slots
        )

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        """The events past those already stored: counted here, not in the database."""
        stored = self._sessions.get(tracker.sender_id)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, len(stored), len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``: insert the events past those stored, then remember them."""
        stored = self._sessions.get(tracker.sender_id)
        if stored is None:
            await super().save(tracker)  # counted in the database; the next read remembers
            return
        await self.stream_events(tracker)  # as Rasa's save does first
        new_events = list(tracker.events)[len(stored):]
        try:
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            with self.session_scope() as session:
                if rows:
                    session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
        except Exception:
            self._sessions.pop(tracker.sender_id, None)
            raise
        rasa_logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")
        data = [row["data"] for row in rows]
        starts = [i for i, event in enumerate(new_events) if isinstance(event, SessionStarted)]
        if starts:  # a new session: what the database query would return from now on
            stored[:] = data[starts[-1]:]
        else:
            stored.extend(data)
        self._sessions.move_to_end(tracker.sender_id)

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        """The column values of ``SQLTrackerStore.save``'s ``SQLEvent`` for ``event``."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def forget_conversation(store: Any, sender_id: str) -> int:
    """Delete a conversation from Rasa's tracker store, and from what the store remembers of
    it; return how many events were stored. Rasa's HTTP API has no way to do this."""
    store = getattr(store, "_tracker_store", store)  # Rasa may wrap the store
    deleted = 0
    if isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            deleted = session.query(store.SQLEvent).filter(
                store.SQLEvent.sender_id == sender_id).delete(synchronize_session=False)
            session.commit()
    elif isinstance(getattr(store, "store", None), dict):  # the in-memory store
        deleted = 1 if store.store.pop(sender_id, None) is not None else 0
    sessions = getattr(store, "_sessions", None)
    if isinstance(sessions, dict):
        sessions.pop(sender_id, None)
    return int(deleted)
