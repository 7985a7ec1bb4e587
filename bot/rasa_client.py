"""HTTP client of the Rasa server's token-protected channel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

CHANNEL_PATH = "/webhooks/emergebot/webhook"


class NLUUnavailable(RuntimeError):
    """The Rasa server did not answer (down, starting, overloaded or failing)."""


class RasaClient:
    """Sends founders' messages to Rasa and returns the bot's replies."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float = 30.0) -> None:
        """Prepare the client; ``start()`` opens its HTTP session."""
        self._url = base_url.rstrip("/") + CHANNEL_PATH
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the one HTTP session used for the life of the adapter."""
        self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Send one message; return the bot's replies. Raise NLUUnavailable on failure."""
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        try:
            async with self._session.post(self._url, json=body) as response:
                if response.status != 200:
                    raise NLUUnavailable(f"Rasa answered HTTP {response.status}")
                replies = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise NLUUnavailable(f"{type(error).__name__}: {error}") from error
        if not isinstance(replies, list):
            raise NLUUnavailable("Rasa's reply is not a list")
        return replies
