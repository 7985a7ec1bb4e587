"""Plain records kept by the fake Bot API: errors, queued updates, bot messages and events."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error, serialised as ``{"ok": false, "error_code", "description", ...}``.

    Args:
        error_code: The HTTP status and ``error_code``.
        description: The ``description`` (defaults to the status phrase).
        parameters: Optional ResponseParameters (``retry_after``, ``migrate_to_chat_id``).
    """

    def __init__(
        self, error_code: int, description: str | None = None, parameters: JSON | None = None
    ) -> None:
        self.error_code = error_code
        self.description = description or _PHRASES.get(error_code, f"Error {error_code}")
        self.parameters = parameters
        super().__init__(self.description)

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        """Return a 400 error with the description "Bad Request: <detail>"."""
        return cls(400, f"Bad Request: {detail}")

    @classmethod
    def injected(
        cls, error_code: int, retry_after: int | None = None, description: str | None = None
    ) -> ApiError:
        """Build an error for ``fail_next`` with Telegram's wording for the common codes."""
        if error_code == 429:
            seconds = 1 if retry_after is None else retry_after
            return cls(
                429,
                description or f"Too Many Requests: retry after {seconds}",
                {"retry_after": seconds},
            )
        params = {"retry_after": retry_after} if retry_after is not None else None
        return cls(error_code, description, params)

    def payload(self) -> JSON:
        """Return the JSON body that the real API sends for this error."""
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class QueuedUpdate:
    """An update waiting in the getUpdates / webhook queue."""

    update: JSON
    queued_at: float
    redelivered: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        """The update's ``update_id``."""
        return int(self.update["update_id"])


def inline_buttons(markup: JSON | None) -> list[JSON]:
    """Flatten an InlineKeyboardMarkup into its buttons, row by row."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


@dataclass
class BotMessage:
    """A message the bot sent, with its current state and benchmark timing.

    Attributes:
        message: The current Message JSON (text, entities and inline keyboard after edits).
        raw_text: The current text exactly as the bot sent it (before entity parsing).
        reply_markup: The last markup the bot sent for it, of any kind (reply keyboards too).
        received_at: ``time.monotonic()`` when the fake received the sendMessage call.
        in_reply_to_update_id: The latest user update in that chat at that moment.
        update_queued_at: When that update was queued (``time.monotonic()``).
        document: The uploaded file of a sendDocument.
    """

    chat_id: int
    message_id: int
    message: JSON
    raw_text: str
    parse_mode: str | None
    reply_markup: JSON | None
    received_at: float
    in_reply_to_update_id: int | None
    update_queued_at: float | None
    seq: int
    edit_count: int = 0
    deleted: bool = False
    document: bytes | None = None  # sendDocument: the file's content

    @property
    def text(self) -> str:
        """The current plain text."""
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[JSON]:
        """The current inline keyboard buttons, flattened."""
        return inline_buttons(self.message.get("reply_markup"))

    @property
    def latency(self) -> float | None:
        """Seconds from the triggering user update being queued to this message arriving."""
        if self.update_queued_at is None:
            return None
        return self.received_at - self.update_queued_at


@dataclass
class Event:
    """A bot-side change visible to a chat: a new message, an edit or a deletion."""

    seq: int
    kind: str  # "message" | "edit" | "delete"
    chat_id: int
    message_id: int
    message: JSON
    time: float
    in_reply_to_update_id: int | None
    latency: float | None

    def to_json(self) -> JSON:
        """Return the event as sent by the control API."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "message": self.message,
            "time": self.time,
            "in_reply_to_update_id": self.in_reply_to_update_id,
            "latency": self.latency,
        }


@dataclass
class EditRecord:
    """One successful editMessageText / editMessageReplyMarkup call."""

    method: str
    chat_id: int
    message_id: int
    old_text: str
    new_text: str
    old_markup: JSON | None
    new_markup: JSON | None
    time: float


@dataclass
class CallbackAnswer:
    """One answerCallbackQuery call, joined with the query it answered."""

    callback_query_id: str
    data: str | None
    chat_id: int | None
    message_id: int | None
    text: str | None
    show_alert: bool
    url: str | None
    time: float


@dataclass
class RequestRecord:
    """One Bot API request as the fake received it (parameters already decoded)."""

    method: str
    params: JSON
    time: float
    token: str = ""


@dataclass
class WebhookConfig:
    """The webhook registered with setWebhook."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook URL."""

    update_id: int
    url: str
    attempt: int
    status: int | None
    error: str | None
    time: float
    headers: JSON = field(default_factory=dict)


@dataclass
class Described:
    """A result that comes with a ``description`` (e.g. "Webhook was set")."""

    value: Any
    description: str


def snapshot(message: JSON) -> JSON:
    """Deep-copy a message so later edits do not change recorded events."""
    return copy.deepcopy(message)
