"""The Bot used by the adapter: malformed updates from Telegram cannot stall polling."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

from hubdata.logs import personal

logger = logging.getLogger(__name__)


def is_bigint(value: object) -> bool:
    """An int that a BIGINT column holds (not a bool): every id Telegram sends is one."""
    return type(value) is int and -(2**63) <= value < 2**63


def scrub(data: Any) -> Any:
    """``data`` (parsed JSON) with every lone surrogate in its strings replaced by U+FFFD.

    JSON may carry ``"\\ud800"``, which Python decodes to a lone surrogate that neither the
    database, fastText nor an HTTP request can encode; Telegram itself never sends one.
    The walk is iterative: a body nested close to the recursion limit still decodes.
    """
    root = [data]
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in items:
            if isinstance(value, str) and not value.isascii():
                node[key] = _mend(value)
            elif isinstance(value, (dict, list)):
                stack.append(value)
            if isinstance(key, str) and not key.isascii() and _mend(key) != key:
                node[_mend(key)] = node.pop(key)
    return root[0]


def _mend(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


_STRINGS = {"user": ("first_name", "last_name", "username", "language_code"),
            "chat": ("type", "title", "first_name", "last_name", "username"),
            "message": ("text", "caption"), "callback_query": ("id", "data")}


def usable(update: Update) -> bool:
    """Whether the fields the bot reads have the types Telegram gives them.

    python-telegram-bot does not check types, so a forged update parses with a string, an
    object or a 30-digit number as its chat id, or a list as its text; the update log and the
    per-chat ordering need 64-bit ids, the handlers need strings.
    """
    chat, user = update.effective_chat, update.effective_user
    message = update.message or update.edited_message or update.channel_post or \
        update.edited_channel_post
    parts = {"user": user, "chat": chat, "message": message,
             "callback_query": update.callback_query}
    if message is not None and (chat is None or chat.type == "private" and user is None):
        return False  # Telegram always gives a message its chat, and a private one its sender
    if not all(is_bigint(known.id) for known in (chat, user) if known is not None):
        return False
    return all(isinstance(getattr(part, name, None), (str, type(None)))
               for kind, part in parts.items() if part is not None for name in _STRINGS[kind])


def emptied(update: Update) -> Update:
    """An update whose fields are not Telegram's types, replaced by an empty one (same id)."""
    logger.error("update %s has ids or texts of the wrong type: replaced by an empty one",
                 update.update_id)
    return Update(update.update_id)


class SafeBot(ExtBot):
    """An ExtBot whose getUpdates replaces an update it cannot parse with an empty one.

    python-telegram-bot parses a whole batch at once; one malformed update would make every
    poll fail and the same batch come back forever. An empty update with the same id lets
    polling move past it, and the processor records it. Batches are parsed once; only a batch
    that fails is parsed again update by update. An update that parses with ids or texts of
    the wrong type (see ``usable``) is emptied the same way, and lone surrogates in its
    strings are replaced first (see ``scrub``); the webhook does the same.
    """

    _raw_batch: list[Any] | None = None

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            result = scrub(result)
            self._raw_batch = result  # for get_updates, should the batch not parse
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Updates as python-telegram-bot parses them, or the batch sanitised if that fails."""
        self._raw_batch = None
        try:
            updates = await super().get_updates(*args, **kwargs)
        except Exception:
            batch, self._raw_batch = self._raw_batch, None
            if batch is None:
                raise  # not a parsing failure: the request itself failed
            updates = Update.de_list([self._sanitise(raw) for raw in batch], self)
            for update in updates:
                self.insert_callback_data(update)
        return tuple(update if usable(update) else emptied(update) for update in updates)

    def _sanitise(self, raw: Any) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            logger.error("dropped an update without an id: %.200r", personal(raw))
            return {"update_id": 0}
        try:
            Update.de_json(dict(raw), self)
        except Exception:  # noqa: BLE001 - any parsing failure makes the update unusable
            logger.error("malformed update %s replaced by an empty one: %.300r",
                         raw["update_id"], personal(raw))
            return {"update_id": raw["update_id"]}
        return raw
