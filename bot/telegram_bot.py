"""The Bot used by the adapter: malformed updates from Telegram cannot stall polling."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

logger = logging.getLogger(__name__)


class SafeBot(ExtBot):
    """An ExtBot whose getUpdates replaces an update it cannot parse with an empty one.

    python-telegram-bot parses a whole batch at once; one malformed update would make every
    poll fail and the same batch come back forever. An empty update with the same id lets
    polling move past it, and the processor records it. Batches are parsed once; only a batch
    that fails is parsed again update by update.
    """

    _raw_batch: list[Any] | None = None

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._raw_batch = result  # for get_updates, should the batch not parse
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Updates as python-telegram-bot parses them, or the batch sanitised if that fails."""
        self._raw_batch = None
        try:
            return await super().get_updates(*args, **kwargs)
        except Exception:
            batch, self._raw_batch = self._raw_batch, None
            if batch is None:
                raise  # not a parsing failure: the request itself failed
        updates = Update.de_list([self._sanitise(raw) for raw in batch], self)
        for update in updates:
            self.insert_callback_data(update)
        return updates

    def _sanitise(self, raw: Any) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            logger.error("dropped an update without an id: %.200r", raw)
            return {"update_id": 0}
        try:
            Update.de_json(dict(raw), self)
        except Exception:  # noqa: BLE001 - any parsing failure makes the update unusable
            logger.error("malformed update %s replaced by an empty one: %.300r",
                         raw["update_id"], raw)
            return {"update_id": raw["update_id"]}
        return raw
