"""The Bot API methods that the fake server implements.

Each handler takes the state and the decoded parameters and returns the ``result`` (or a
``Described`` result with a ``description``), or raises ``ApiError`` with the real API's wording.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from devtools.fake_telegram.params import (
    bool_param,
    chat_id_param,
    float_param,
    int_param,
    json_param,
    reply_markup_param,
    shown_markup,
    text_and_entities,
)
from devtools.fake_telegram.records import (
    JSON,
    ApiError,
    BotMessage,
    CallbackAnswer,
    Described,
    EditRecord,
    snapshot,
)
from devtools.fake_telegram.setup_methods import (
    delete_my_commands,
    delete_webhook,
    get_my_commands,
    get_webhook_info,
    set_my_commands,
    set_webhook,
)
from devtools.fake_telegram.state import FakeState

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


# ------------------------------------------------------------------- updates
def _kind(update: JSON) -> str | None:
    return next((key for key in update if key != "update_id"), None)


def _available(state: FakeState) -> list[Any]:
    allowed = state.allowed_updates
    keep = []
    for entry in state.queue:
        kind = _kind(entry.update)
        ok = kind is None or (kind in allowed if allowed else kind not in _DEFAULT_EXCLUDED_UPDATES)
        if ok:
            keep.append(entry)
    state.queue[:] = keep
    return keep


def _confirm(state: FakeState, offset: int | None) -> None:
    if offset is None:
        return
    if offset < 0:
        state.queue[:] = state.queue[offset:]
    else:
        state.queue[:] = [
            e for e in state.queue if e.update_id >= offset or (e.redelivered and not e.delivered)
        ]


async def get_updates(state: FakeState, params: JSON) -> list[JSON]:
    """getUpdates: confirm by offset, then return queued updates, long-polling up to timeout."""
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_ACTIVE)
    limit = min(max(int_param(params, "limit", 100) or 100, 1), 100)
    timeout = max(float_param(params, "timeout", 0.0), 0.0)
    allowed = json_param(params, "allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(x) for x in allowed] or None
    _confirm(state, int_param(params, "offset"))
    state.poll_generation += 1
    generation = state.poll_generation
    state.notify()  # a pending getUpdates of another instance ends with 409

    def ready() -> bool:
        superseded = generation != state.poll_generation
        return superseded or state.webhook is not None or bool(_available(state))

    await state.wait_until(ready, timeout)
    if generation != state.poll_generation:
        raise ApiError(409, TERMINATED)
    entries = [] if state.webhook is not None else _available(state)[:limit]
    for entry in entries:
        entry.delivered = True
    return [entry.update for entry in entries]


# ------------------------------------------------------------------ messages
def send_message(state: FakeState, params: JSON) -> JSON:
    """sendMessage: validate like the real API, store the message, return it."""
    chat_id = chat_id_param(params)
    state.check_chat(chat_id)
    raw, plain, entities = text_and_entities(params)
    markup = reply_markup_param(params)
    reply_to = _reply_target(state, chat_id, params)
    message: JSON = {
        "message_id": state.next_message_id(chat_id),
        "from": state.bot_user,
        "chat": state.chat(chat_id),
        "date": int(time.time()),
        "text": plain,
    }
    if entities:
        message["entities"] = entities
    if shown_markup(markup):
        message["reply_markup"] = markup
    if reply_to is not None:
        message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    state.store_bot_message(message, raw, params.get("parse_mode") or None, markup)
    return snapshot(message)


def send_document(state: FakeState, params: JSON) -> JSON:
    """sendDocument: an uploaded file (multipart), with an optional caption; the file's bytes
    are kept on the record (``BotMessage.document``) for tests to read."""
    chat_id = chat_id_param(params)
    state.check_chat(chat_id)
    upload = params.get("document")
    if not isinstance(upload, dict) or "content" not in upload:
        raise ApiError.bad_request("there is no document in the request")
    if not upload["size"]:
        raise ApiError.bad_request("file must be non-empty")
    message: JSON = {
        "message_id": state.next_message_id(chat_id),
        "from": state.bot_user,
        "chat": state.chat(chat_id),
        "date": int(time.time()),
        "document": {"file_id": f"doc-{chat_id}-{time.time_ns()}",
                     "file_unique_id": f"u{time.time_ns()}",
                     "file_name": upload.get("filename") or "document",
                     "file_size": int(upload["size"])},
    }
    caption = str(params.get("caption") or "")
    if caption:
        message["caption"] = caption
    record = state.store_bot_message(message, caption, params.get("parse_mode") or None, None)
    record.document = bytes(upload["content"])
    return snapshot(message)


def _reply_target(state: FakeState, chat_id: int, params: JSON) -> JSON | None:
    reply = json_param(params, "reply_parameters") or {}
    if not isinstance(reply, dict):
        raise ApiError.bad_request("can't parse reply parameters JSON object")
    message_id = reply.get("message_id", int_param(params, "reply_to_message_id"))
    if message_id is None:
        return None
    target_chat = int(reply.get("chat_id", chat_id))
    found = state.find_message(target_chat, int(message_id))
    allow = reply.get("allow_sending_without_reply") or bool_param(
        params, "allow_sending_without_reply"
    )
    if found is None and not allow:
        raise ApiError.bad_request("message to be replied not found")
    return found


def _edit_target(state: FakeState, params: JSON) -> BotMessage | None:
    if params.get("inline_message_id"):
        return None
    chat_id = chat_id_param(params)
    message_id = int_param(params, "message_id")
    if message_id is None:
        raise ApiError.bad_request("message identifier is not specified")
    state.check_chat(chat_id)
    record = state.bot_message(chat_id, message_id)
    if record is None:
        if state.find_message(chat_id, message_id) is not None:
            raise ApiError.bad_request("message can't be edited")
        raise ApiError.bad_request("message to edit not found")
    return record


def _apply_edit(
    state: FakeState,
    record: BotMessage,
    method: str,
    new: JSON,
    raw: str | None,
    parse_mode: str | None,
    markup: JSON | None,
) -> JSON:
    message = record.message
    old_text, old_markup = record.text, message.get("reply_markup")
    keys = ("text", "entities", "reply_markup")
    changed = any((message.get(k) or None) != (new.get(k) or None) for k in keys)
    if not changed:
        raise ApiError.bad_request(NOT_MODIFIED)
    for key in keys:
        if new.get(key):
            message[key] = new[key]
        else:
            message.pop(key, None)
    message["edit_date"] = int(time.time())
    if raw is not None:
        record.raw_text, record.parse_mode = raw, parse_mode
    record.reply_markup = markup
    record.edit_count += 1
    state.edits.append(
        EditRecord(
            method,
            record.chat_id,
            record.message_id,
            old_text,
            record.text,
            old_markup,
            message.get("reply_markup"),
            time.monotonic(),
        )
    )
    state.add_event("edit", record)
    return snapshot(message)


def edit_message_text(state: FakeState, params: JSON) -> JSON | bool:
    """editMessageText: replaces text and inline keyboard (no reply_markup removes it)."""
    record = _edit_target(state, params)
    raw, plain, entities = text_and_entities(params)
    markup = reply_markup_param(params, inline_only=True)
    if record is None:
        return True
    new = {"text": plain, "entities": entities, "reply_markup": shown_markup(markup)}
    return _apply_edit(
        state, record, "editMessageText", new, raw, params.get("parse_mode") or None, markup
    )


def edit_message_reply_markup(state: FakeState, params: JSON) -> JSON | bool:
    """editMessageReplyMarkup: replaces (or, without reply_markup, removes) the keyboard."""
    record = _edit_target(state, params)
    markup = reply_markup_param(params, inline_only=True)
    if record is None:
        return True
    message = record.message
    new = {
        "text": message.get("text"),
        "entities": message.get("entities"),
        "reply_markup": shown_markup(markup),
    }
    return _apply_edit(state, record, "editMessageReplyMarkup", new, None, None, markup)


def delete_message(state: FakeState, params: JSON) -> bool:
    """deleteMessage: removes a bot message (an event of kind "delete")."""
    chat_id = chat_id_param(params)
    message_id = int_param(params, "message_id")
    record = state.bot_message(chat_id, message_id or 0)
    if record is None:
        raise ApiError.bad_request("message to delete not found")
    record.deleted = True
    state.add_event("delete", record)
    return True


def answer_callback_query(state: FakeState, params: JSON) -> bool:
    """answerCallbackQuery: each query can be answered once."""
    query_id = str(params.get("callback_query_id") or "")
    query = state.callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise ApiError.bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    state.callback_answers.append(
        CallbackAnswer(
            callback_query_id=query_id,
            data=query["data"],
            chat_id=query["chat_id"],
            message_id=query["message_id"],
            text=None if text is None else str(text),
            show_alert=bool_param(params, "show_alert"),
            url=params.get("url"),
            time=time.monotonic(),
        )
    )
    return True


def send_chat_action(state: FakeState, params: JSON) -> bool:
    """sendChatAction: records (chat_id, action, time)."""
    chat_id = chat_id_param(params)
    state.check_chat(chat_id)
    action = str(params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    state.chat_actions.append((chat_id, action, time.monotonic()))
    return True


HANDLERS: dict[str, Callable[[FakeState, JSON], Any]] = {
    "getme": lambda state, params: dict(state.bot_user),
    "getupdates": get_updates,
    "sendmessage": send_message,
    "senddocument": send_document,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "close": lambda state, params: True,
    "logout": lambda state, params: True,
}


async def call_method(state: FakeState, method: str, params: JSON) -> tuple[Any, str | None]:
    """Run a Bot API method (names are case-insensitive, as in the real API).

    Returns:
        The result and an optional description.

    Raises:
        ApiError: 404 for unknown methods, injected failures, or the method's own errors.
    """
    handler = HANDLERS.get(method.lower())
    if handler is None:
        raise ApiError(404, "Not Found")
    state.check_failure(method)
    result = handler(state, params)
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, Described):
        return result.value, result.description
    return result, None
