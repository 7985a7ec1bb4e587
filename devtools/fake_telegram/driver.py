"""The test-side API of the fake Bot API: user input, inspection, waiting, error injection."""

from __future__ import annotations

import time

from devtools.fake_telegram.records import (
    JSON,
    ApiError,
    BotMessage,
    Event,
    inline_buttons,
    snapshot,
)
from devtools.fake_telegram.state import FakeState


class FakeDriver(FakeState):
    """What tests and benchmarks call: users write and press buttons, the bot's output is read.

    Update ids increase monotonically; every queued update records ``time.monotonic()`` in
    ``update_times`` and every bot message records when it arrived and the latest user update
    of its chat (see :class:`BotMessage`), so per-turn latency can be computed.
    """

    async def send_update(self, update: JSON) -> JSON:
        """Queue an arbitrary (possibly malformed) update; ``update_id`` is added if missing.

        Args:
            update: Any JSON object, e.g. ``{"message": {... "sticker": {...}}}``.

        Returns:
            The queued update.
        """
        update = dict(update)
        if isinstance(update.get("update_id"), int):
            self.note_update_id(update["update_id"])
        else:
            rest = {k: v for k, v in update.items() if k != "update_id"}
            update = {"update_id": self.new_update_id(), **rest}
        return self.enqueue(update)

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        first_name: str = "Founder",
    ) -> JSON:
        """Queue a text message from a user, as Telegram would deliver it.

        Commands ("/start payload") get a ``bot_command`` entity so CommandHandler sees them.

        Returns:
            The queued update.
        """
        if user_id is None:
            user_id = chat_id if chat_type == "private" else abs(chat_id)
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if chat_type == "private":
            chat: JSON = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}
        message: JSON = {
            "message_id": self.next_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self.chats[chat_id] = chat
        return self.enqueue({"update_id": self.new_update_id(), "message": message})

    async def click(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        forge: bool = False,
    ) -> JSON:
        """Queue a callback_query as if the user pressed an inline button of a bot message.

        Args:
            chat_id: The chat of the bot message.
            message_id: The bot message carrying the keyboard.
            data: The button's ``callback_data``.
            user_id: The presser (defaults to the chat id).
            forge: Skip the checks that the message exists and has a button with that data
                (to test forged or stale callback data).

        Returns:
            The queued update.

        Raises:
            LookupError: The message or the button does not exist (and ``forge`` is False).
        """
        record = self.bot_message(chat_id, message_id)
        if not forge:
            if record is None:
                raise LookupError(f"no bot message {message_id} in chat {chat_id}")
            if data not in [b.get("callback_data") for b in record.buttons]:
                raise LookupError(f"message {message_id} has no button with data {data!r}")
        chat = self.chat(chat_id)
        if record is not None:
            message = snapshot(record.message)
        else:
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": chat,
                "date": int(time.time()),
                "text": "(forged)",
            }
        user_id = chat_id if user_id is None else user_id
        known = chat if chat.get("type") == "private" else {}
        user: JSON = {
            "id": user_id,
            "is_bot": False,
            "first_name": known.get("first_name", "Founder"),
        }
        query: JSON = {
            "id": str(next(self._query_ids)),
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919),
            "data": data,
        }
        return self.enqueue({"update_id": self.new_update_id(), "callback_query": query})

    async def redeliver(self, update_id: int) -> JSON:
        """Queue an already delivered update again with the same id, as Telegram does when a
        bot did not confirm it in time; it is returned by the next getUpdates even if that
        call's offset already confirmed the id."""
        entry = self.updates[update_id]
        return self.enqueue(entry.update, redelivered=True)

    # ------------------------------------------------------------ inspection
    def mark(self) -> int:
        """Return the current event sequence number (for ``wait_for_messages(since=...)``)."""
        return self._seq

    def messages(self, chat_id: int) -> list[JSON]:
        """All bot messages in a chat, in order, with their current text and markup."""
        return [snapshot(r.message) for r in self.message_records(chat_id)]

    def message_records(self, chat_id: int | None = None) -> list[BotMessage]:
        """Bot message records (with timing) of one chat or of all chats, in sending order."""
        chats = [chat_id] if chat_id is not None else list(self._bot_messages)
        records = [r for c in chats for r in self._bot_messages.get(c, {}).values()]
        return sorted((r for r in records if not r.deleted), key=lambda r: r.seq)

    def latencies(self, chat_id: int | None = None) -> list[float]:
        """Per user turn, seconds from the update being queued to the bot's first reply."""
        first: dict[int, float] = {}
        for record in self.message_records(chat_id):
            if record.in_reply_to_update_id is not None and record.latency is not None:
                first.setdefault(record.in_reply_to_update_id, record.latency)
        return list(first.values())

    def buttons(self, chat_id: int, message_id: int) -> list[JSON]:
        """The inline buttons currently under a bot message."""
        record = self.bot_message(chat_id, message_id)
        return [] if record is None else inline_buttons(record.message.get("reply_markup"))

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates still queued (not confirmed by getUpdates / not delivered to the webhook)."""
        return [entry.update for entry in self.queue]

    async def events_after(
        self, after: int, *, chat_id: int | None = None, timeout: float = 0.0
    ) -> list[Event]:
        """Bot-side events with ``seq > after``, long-polling up to ``timeout`` seconds."""
        after = max(after, 0)

        def matching() -> list[Event]:
            return [e for e in self.events[after:] if chat_id is None or e.chat_id == chat_id]

        await self.wait_until(matching, timeout)
        return matching()

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 10.0, *, since: int | None = None
    ) -> list[JSON]:
        """Wait for ``count`` new bot messages in a chat and return them (current state).

        New means sent after the previous call's cursor for that chat, or after ``since`` (a
        value from :meth:`mark`). The cursor moves past the returned messages.

        Raises:
            TimeoutError: Fewer than ``count`` messages arrived in time.
        """
        start = max(self._cursors.get(chat_id, 0) if since is None else since, 0)

        def arrived() -> list[Event]:
            return [e for e in self.events[start:] if e.chat_id == chat_id and e.kind == "message"]

        await self.wait_until(lambda: len(arrived()) >= count, timeout)
        events = arrived()
        if len(events) < count:
            texts = [e.message.get("text") for e in events]
            raise TimeoutError(
                f"chat {chat_id}: expected {count} bot message(s) within {timeout}s, got {texts}"
            )
        events = events[:count]
        self._cursors[chat_id] = events[-1].seq
        out = []
        for event in events:
            record = self._bot_messages[chat_id][event.message_id]
            out.append(snapshot(record.message))
        return out

    # ------------------------------------------------------------- injection
    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``error_code``.

        A 429 gets "Too Many Requests: retry after N" and ``parameters.retry_after`` (N
        defaults to 1), which PTB raises as ``telegram.error.RetryAfter``.
        """
        error = ApiError.injected(error_code, retry_after, description)
        self._failures.setdefault(method.lower(), []).extend([error] * times)

    def block_chat(self, chat_id: int) -> None:
        """Make sends to ``chat_id`` fail with 403 "Forbidden: bot was blocked by the user"."""
        self.blocked_chats.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat`."""
        self.blocked_chats.discard(chat_id)
