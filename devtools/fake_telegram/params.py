"""Decoding and validating Bot API parameters.

PTB sends form-encoded or multipart bodies in which every non-string value is JSON-encoded
(``reply_markup``, ``reply_parameters``, ``allowed_updates`` ...); other clients send JSON bodies
with native values. These helpers accept both.
"""

from __future__ import annotations

import json
from typing import Any

from devtools.fake_telegram.formatting import EntityParseError, parse_text
from devtools.fake_telegram.records import JSON, ApiError, inline_buttons

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
PARSE_MODES = {"html", "markdown", "markdownv2"}
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def json_param(params: JSON, name: str, what: str | None = None) -> Any:
    """Return a JSON-valued parameter decoded (None when absent or empty)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError.bad_request(f"can't parse {what or name} JSON object") from None
    return value


def int_param(params: JSON, name: str, default: int | None = None) -> int | None:
    """Return an integer parameter (None/default when absent)."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"invalid {name} specified") from None


def float_param(params: JSON, name: str, default: float = 0.0) -> float:
    """Return a numeric parameter as float (``default`` when absent)."""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"invalid {name} specified") from None


def bool_param(params: JSON, name: str) -> bool:
    """Return a boolean parameter ("true"/"1"/true are true)."""
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def chat_id_param(params: JSON) -> int:
    """Return ``chat_id`` as int with the real API's errors for missing or unknown chats."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise ApiError.bad_request("chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request("chat not found") from None


def text_and_entities(params: JSON) -> tuple[str, str, list[JSON]]:
    """Return (raw text, plain text, entities) of a sendMessage / editMessageText call."""
    raw = params.get("text")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ApiError.bad_request("message text is empty")
    raw = str(raw)
    parse_mode = params.get("parse_mode") or None
    if parse_mode is not None and str(parse_mode).lower() not in PARSE_MODES:
        raise ApiError.bad_request("unsupported parse_mode")
    try:
        plain, entities = parse_text(raw, parse_mode)
    except EntityParseError as exc:
        raise ApiError.bad_request(f"can't parse entities: {exc}") from None
    if parse_mode is None:
        given = json_param(params, "entities")
        if isinstance(given, list):
            entities = given
    if not plain:
        raise ApiError.bad_request("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise ApiError.bad_request("message is too long")
    return raw, plain, entities


def reply_markup_param(params: JSON, *, inline_only: bool = False) -> JSON | None:
    """Decode and validate ``reply_markup`` like the real API does for inline keyboards.

    Raises:
        ApiError: Bad JSON, a button without an action, callback_data longer than 64 bytes.
    """
    markup = json_param(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise ApiError.bad_request("inline keyboard expected")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for button in inline_buttons(markup):
        _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError.bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise ApiError.bad_request(
                f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
            )


def shown_markup(markup: JSON | None) -> JSON | None:
    """The reply_markup that appears in a returned Message: non-empty inline keyboards only."""
    return markup if inline_buttons(markup) else None
