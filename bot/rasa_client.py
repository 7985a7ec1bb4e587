"""HTTP client of the Rasa server's token-protected channel."""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

CHANNEL_PATH = "/webhooks/emergebot/webhook"


class NLUUnavailable(RuntimeError):
    """The Rasa server did not answer (down, starting, overloaded or failing)."""


class NLUUnreachable(NLUUnavailable):
    """The replica is down or died while answering: another replica may take the message.

    If it died mid-request it may have recorded the message; the other replica processes it
    again (at least once), and the adapter still answers it once (replies are stored per
    update). A replica that is merely slow (a timeout) is not bypassed.
    """


class RasaClient:
    """Sends founders' messages to Rasa and returns the bot's replies.

    With several Rasa replicas, a conversation always goes to the same one (by a hash of the
    sender), so its turns hit a warm tracker; if that replica does not answer, the next one
    takes over (the shared tracker store and Redis lock store make that safe).
    """

    def __init__(self, base_url: str | list[str], token: str | None,
                 timeout_s: float = 30.0) -> None:
        """Prepare the client; ``start()`` opens its HTTP session."""
        bases = [base_url] if isinstance(base_url, str) else list(base_url)
        self._urls = [b.rstrip("/") + CHANNEL_PATH for b in bases]
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
        first = self.replica_for(sender_id)
        failures = []
        for offset in range(len(self._urls)):
            url = self._urls[(first + offset) % len(self._urls)]
            try:
                return await self._post(url, body)
            except NLUUnreachable as error:  # only then is another replica safe to try
                failures.append(str(error))
                logger.warning("Rasa replica %s unreachable for sender %s: %s",
                               url, sender_id, error)
        raise NLUUnavailable("; ".join(failures))

    def replica_for(self, sender_id: str) -> int:
        """The replica that normally serves this conversation (stable across processes)."""
        return zlib.crc32(sender_id.encode()) % len(self._urls)

    async def _post(self, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._session is not None
        try:
            async with self._session.post(url, json=body) as response:
                if response.status != 200:
                    raise NLUUnavailable(f"Rasa answered HTTP {response.status}")
                replies = await response.json()
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as error:
            raise NLUUnreachable(f"{type(error).__name__}: {error}") from error
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise NLUUnavailable(f"{type(error).__name__}: {error}") from error
        if not isinstance(replies, list):
            raise NLUUnavailable("Rasa's reply is not a list")
        return replies
