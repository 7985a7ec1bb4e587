"""Client of Rasa's HTTP API for the staff desk: read a conversation's tracker, append events.

The API needs the token of ``rasa run --auth-token`` in the query string. Any Rasa replica will
do: they share the tracker store and the lock store.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.rasa_client import NLUUnavailable


class RasaTrackerAPI:
    """GET /conversations/<id>/tracker and POST /conversations/<id>/tracker/events."""

    def __init__(self, base_url: str, token: str | None, timeout_s: float = 30.0) -> None:
        """Prepare the client; ``start()`` opens its HTTP session."""
        self._base_url = base_url.rstrip("/")
        self._params = {"token": token} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the one HTTP session used for the life of the adapter."""
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, params: dict[str, str],
                    body: Any = None) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("RasaTrackerAPI.start() was not called")
        try:
            async with self._session.request(method, self._base_url + path, json=body,
                                             params={**self._params, **params}) as response:
                if response.status != 200:
                    raise NLUUnavailable(f"Rasa's HTTP API answered HTTP {response.status}")
                result = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise NLUUnavailable(f"{type(error).__name__}: {error}") from error
        if not isinstance(result, dict):
            raise NLUUnavailable("Rasa's HTTP API did not answer with an object")
        return result

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """The conversation's tracker with all its events."""
        return await self._call("GET", f"/conversations/{sender_id}/tracker",
                                {"include_events": "ALL"})

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]
                            ) -> dict[str, Any]:
        """Append events (pause, resume, relayed messages); return the tracker's state
        (``paused`` tells whether the conversation is paused now)."""
        return await self._call("POST", f"/conversations/{sender_id}/tracker/events",
                                {"include_events": "NONE"}, events)
