"""Shared logic of the actions: a database transaction per run, and localisable replies."""

from __future__ import annotations

import abc
import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actions import runtime
from hubdata.db import transaction

logger = logging.getLogger(__name__)

Button = dict[str, Any]


def say(
    dispatcher: CollectingDispatcher,
    msgid: str,
    buttons: list[Button] | None = None,
    **params: Any,
) -> None:
    """Send a message id with parameters; the adapter renders it in the founder's language."""
    message: dict[str, Any] = {"msgid": msgid}
    if params:
        message["params"] = params
    if buttons:
        message["buttons"] = buttons
    dispatcher.utter_message(json_message=message)


def intent_button(msgid: str, intent: str, params: dict[str, Any] | None = None,
                  **entities: str) -> Button:
    """A button that sends ``intent`` (with entities) back to Rasa when tapped."""
    payload = "/" + intent
    if entities:
        payload += json.dumps(entities, separators=(",", ":"), sort_keys=True)
    button: Button = {"msgid": msgid, "payload": payload}
    if params:
        button["params"] = params
    return button


class DatabaseAction(Action, abc.ABC):
    """An action that runs inside one database transaction.

    A database that is down does not surface as a silent failure: the founder is told, in
    their language, and the error is logged with its context.
    """

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Open a transaction and run the action in it."""
        try:
            async with transaction(runtime.current().sessions) as session:
                return await self.act(dispatcher, tracker, domain, session)
        except (SQLAlchemyError, OSError):
            logger.exception("database error in %s for sender %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            say(dispatcher, "error.database")
            return []

    @abc.abstractmethod
    async def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        session: AsyncSession,
    ) -> list[dict[str, Any]]:
        """Do the action's work inside ``session``'s transaction."""
