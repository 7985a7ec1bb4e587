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
from nlu.tracker_store import forget_conversation

logger = logging.getLogger(__name__)
READY_PATH = "/ready"  # under /webhooks/emergebot: the one route without the token
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
            if request.path.endswith(READY_PATH):
                return None  # readiness, for probes: tells only the model's file name
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                logger.warning("refused a request to the emergebot channel: bad token")
                return response.json({"error": "unauthorised"}, status=401)
            return None

        @blueprint.route(READY_PATH, methods=["GET"])
        async def ready(request: Request):  # type: ignore[no-untyped-def]
            """Whether the model is loaded (README, "Operations"); 503 until it is."""
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"status": "not ready"}, status=503)
            return response.json({"status": "ready",
                                  "model": agent.processor.model_filename})

        @blueprint.route("/forget", methods=["POST"])
        async def forget(request: Request):  # type: ignore[no-untyped-def]
            """Erase a conversation (the founder's /forget): Rasa's API cannot."""
            body = request.json if isinstance(request.json, dict) else {}
            sender = str(body.get("sender") or "")
            if not sender:
                return response.json({"error": "sender missing"}, status=400)
            agent = request.app.ctx.agent
            stores = {id(s): s for s in (getattr(agent, "tracker_store", None),
                                         getattr(getattr(agent, "processor", None),
                                                 "tracker_store", None)) if s is not None}
            deleted = sum(forget_conversation(store, sender) for store in stores.values())
            return response.json({"deleted": deleted})

        return blueprint
