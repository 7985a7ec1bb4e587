"""In-memory state of the fake Bot API and the test-side API that drives it.

Everything here runs on one event loop and does no I/O; the HTTP layer (server.py) and the
Bot API methods (methods.py) read and change this state.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from devtools.fake_telegram.records import (
    JSON,
    ApiError,
    BotMessage,
    CallbackAnswer,
    EditRecord,
    Event,
    QueuedUpdate,
    RequestRecord,
    WebhookConfig,
    WebhookDelivery,
    snapshot,
)

FIRST_UPDATE_ID = 100_000
_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


_CHAT_TYPES = ("private", "group", "supergroup", "channel")
_CHAT_NAMES = ("title", "username", "first_name", "last_name")


def _chat_record(chat: JSON) -> JSON:
    """The Chat the fake will return for a chat it saw in an update. Telegram only ever sends
    well-formed chats, but tests enqueue hostile ones: keep the id, a valid type and the
    string names, so a hostile update cannot make later API results unparseable."""
    chat_id = int(chat["id"])
    kind = chat.get("type")
    record: JSON = {"id": chat_id, "type": kind if kind in _CHAT_TYPES
                    else "private" if chat_id > 0 else "group"}
    record.update({name: chat[name] for name in _CHAT_NAMES if isinstance(chat.get(name), str)})
    return record


def update_chat_id(update: JSON) -> int | None:
    """Return the chat an update belongs to, or None when it has none (or is malformed)."""
    for key in _MESSAGE_KINDS:
        chat = (update.get(key) or {}).get("chat") if isinstance(update.get(key), dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        chat = query["message"].get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return None


class FakeState:
    """Chats, update queue, bot messages and recorded calls of one fake bot.

    Args:
        bot_id: The bot's user id (``getMe``).
        bot_username: The bot's username.
        strict_chats: If True, sending to a chat that never wrote to the bot gives
            "Bad Request: chat not found", as the real API does for private chats.
    """

    def __init__(
        self,
        *,
        bot_id: int = 7_000_000_001,
        bot_username: str = "emerge_test_bot",
        bot_name: str = "EMERGE Test Bot",
        strict_chats: bool = False,
    ) -> None:
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.strict_chats = strict_chats
        self.updates: dict[int, QueuedUpdate] = {}
        self.update_times: dict[int, float] = {}
        self.chats: dict[int, JSON] = {}
        self.events: list[Event] = []
        self.edits: list[EditRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str, float]] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.requests_log: list[RequestRecord] = []
        self.webhook: WebhookConfig | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.allowed_updates: list[str] | None = None
        self.blocked_chats: set[int] = set()
        self.queue: list[QueuedUpdate] = []
        self.poll_generation = 0
        self.callback_queries: dict[str, JSON] = {}
        self._failures: dict[str, list[ApiError]] = {}
        self._all_messages: dict[int, dict[int, JSON]] = {}
        self._bot_messages: dict[int, dict[int, BotMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._latest_user_update: dict[int, int] = {}
        self._cursors: dict[int, int] = {}
        self._last_update_id = FIRST_UPDATE_ID - 1
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._seq = 0
        self._changed = asyncio.Event()
        self.closing = False  # set while the server stops: every wait returns at once

    # ----------------------------------------------------------------- waiting
    def notify(self) -> None:
        """Wake every coroutine waiting for a change of state."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float) -> bool:
        """Wait until ``predicate()`` is true or ``timeout`` seconds pass; return its last value."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while not predicate():
            if self.closing:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except asyncio.TimeoutError:
                return bool(predicate())
        return True

    # ------------------------------------------------------------- chats/ids
    def chat(self, chat_id: int) -> JSON:
        """Return the Chat JSON for ``chat_id`` (made up if the chat never wrote)."""
        if chat_id in self.chats:
            return dict(self.chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Founder"}
        return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}

    def next_message_id(self, chat_id: int) -> int:
        """Allocate the next message id in a chat (shared by user and bot messages)."""
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def find_message(self, chat_id: int, message_id: int) -> JSON | None:
        """Return any stored message (user or bot) of a chat."""
        return self._all_messages.get(chat_id, {}).get(message_id)

    def bot_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        """Return the record of a bot message, or None."""
        record = self._bot_messages.get(chat_id, {}).get(message_id)
        return None if record is None or record.deleted else record

    def _remember_message(self, message: JSON) -> None:
        chat_id = int(message["chat"]["id"])
        self._all_messages.setdefault(chat_id, {})[int(message["message_id"])] = message
        self._next_message_id[chat_id] = max(
            self._next_message_id.get(chat_id, 1), int(message["message_id"]) + 1
        )

    # ------------------------------------------------------------ bot output
    def add_event(self, kind: str, record: BotMessage) -> Event:
        """Record a bot-side change of ``record`` and wake waiters."""
        self._seq += 1
        now = time.monotonic()
        event = Event(
            seq=self._seq,
            kind=kind,
            chat_id=record.chat_id,
            message_id=record.message_id,
            message=snapshot(record.message),
            time=now,
            in_reply_to_update_id=self._latest_user_update.get(record.chat_id),
            latency=None,
        )
        queued = self.update_times.get(event.in_reply_to_update_id or -1)
        event.latency = None if queued is None else now - queued
        self.events.append(event)
        self.notify()
        return event

    def store_bot_message(
        self, message: JSON, raw_text: str, parse_mode: str | None, reply_markup: JSON | None
    ) -> BotMessage:
        """Store a message the bot just sent and emit a "message" event."""
        chat_id = int(message["chat"]["id"])
        self._remember_message(message)
        update_id = self._latest_user_update.get(chat_id)
        record = BotMessage(
            chat_id=chat_id,
            message_id=int(message["message_id"]),
            message=message,
            raw_text=raw_text,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            received_at=time.monotonic(),
            in_reply_to_update_id=update_id,
            update_queued_at=self.update_times.get(update_id) if update_id else None,
            seq=self._seq + 1,
        )
        self._bot_messages.setdefault(chat_id, {})[record.message_id] = record
        self.add_event("message", record)
        return record

    def check_failure(self, method: str) -> None:
        """Raise the next injected error for ``method`` (case-insensitive), if any."""
        queue = self._failures.get(method.lower())
        if queue:
            raise queue.pop(0)

    def check_chat(self, chat_id: int) -> None:
        """Raise the error the real API gives for sending to a blocked or unknown chat."""
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.strict_chats and chat_id not in self.chats:
            raise ApiError.bad_request("chat not found")

    # --------------------------------------------------------------- updates
    def enqueue(self, update: JSON, *, redelivered: bool = False) -> JSON:
        """Queue an update for getUpdates or the webhook and record its timestamp."""
        now = time.monotonic()
        entry = QueuedUpdate(update=update, queued_at=now, redelivered=redelivered)
        update_id = entry.update_id
        if not redelivered:
            self.updates[update_id] = entry
            self.update_times[update_id] = now
        self.queue.append(entry)
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self.callback_queries.setdefault(
                query["id"],
                {
                    "answered": False,
                    "data": query.get("data"),
                    "chat_id": update_chat_id(update),
                    "message_id": (query.get("message") or {}).get("message_id"),
                },
            )
        chat_id = update_chat_id(update)
        if chat_id is not None:
            self._latest_user_update[chat_id] = update_id
        for key in _MESSAGE_KINDS:
            message = update.get(key)
            if isinstance(message, dict) and isinstance(message.get("message_id"), int):
                if isinstance((message.get("chat") or {}).get("id"), int):
                    self._remember_message(message)
                    self.chats.setdefault(int(message["chat"]["id"]), _chat_record(message["chat"]))
        self.notify()
        return update

    def new_update_id(self) -> int:
        """Allocate the next update id (ids only grow)."""
        self._last_update_id += 1
        return self._last_update_id

    def note_update_id(self, update_id: int) -> None:
        """Make later ids larger than an id chosen by the caller."""
        self._last_update_id = max(self._last_update_id, update_id)
