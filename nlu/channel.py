"""The REST channel the Telegram adapter talks to, behind a bearer token.

Rasa's own HTTP API is protected by ``--auth-token``, but input channels are not; this channel
refuses every request that does not carry the same token (``RASA_TOKEN``).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from nlu import rasa_patches

logger = logging.getLogger(__name__)
rasa_patches.install()  # Rasa imports its channels before it loads the model and trackers


class TokenRestInput(RestInput):
    """``POST /webhooks/emergebot/webhook`` with ``Authorization: Bearer <RASA_TOKEN>``."""

    def __init__(self, token: str | None = None) -> None:
        """Take the token from credentials.yml or the environment."""
        self.token = token or os.environ.get("RASA_TOKEN") or ""
        if not self.token:
            raise ValueError("TokenRestInput needs a token: set RASA_TOKEN")

    @classmethod
    def name(cls) -> str:
        """The channel's name in URLs and trackers."""
        return "emergebot"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        """Build from credentials.yml."""
        return cls((credentials or {}).get("token"))

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's REST routes with a token check in front of them."""
        blueprint = super().blueprint(on_new_message)
        expected = f"Bearer {self.token}"

        @blueprint.middleware("request")
        async def check_token(request: Request):  # type: ignore[no-untyped-def]
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                logger.warning("refused a request to the emergebot channel: bad token")
                return response.json({"error": "unauthorised"}, status=401)
            return None

        return blueprint
