"""A founder asks for a person: open a ticket for the staff desk and pause the dialogue."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions import runtime
from actions.base import DatabaseAction, say
from hubdata.catalog import INTENT_TOPICS
from hubdata.desk import transitions
from hubdata.models import utcnow

TICKET_ENTITIES = ("country", "sector", "funding_type")
MESSAGES = {transitions.CREATED: "escalation.created",
            transitions.ALREADY_OPEN: "escalation.already_open",
            transitions.REOPENED: "escalation.reopened"}


def _last_founder_text(tracker: Tracker) -> str | None:
    """The founder's last typed message before this request (skipping button payloads)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = event.get("text") or ""
            if text and not text.startswith("/"):
                return text
    return None


def conversation_topic(tracker: Tracker) -> str | None:
    """The topic of the conversation: the ``topic`` slot, else the latest topic intent."""
    topic = tracker.get_slot("topic")
    if topic:
        return str(topic)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in INTENT_TOPICS:
                return INTENT_TOPICS[intent]
    return None


async def escalate(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, reason: str
) -> list[dict[str, Any]]:
    """Open (or reopen, or find) the founder's ticket, say what happens next, pause Rasa.

    The adapter routes the founder's messages to the desk while the ticket is open and posts
    the ticket to the staff group; the pause keeps Rasa from acting on the conversation.
    """
    metadata = runtime.latest_metadata(tracker)
    founder_id = runtime.user_id(tracker)
    entities = {name: tracker.get_slot(name) for name in TICKET_ENTITIES}
    _, outcome = await transitions.request_from_founder(
        session,
        runtime.current().settings,
        founder_id=founder_id,
        chat_id=int(metadata.get("chat_id") or founder_id),
        language=runtime.reply_language(tracker),
        reason=reason,
        now=utcnow(),
        topic=conversation_topic(tracker),
        entities={k: str(v) for k, v in entities.items() if v},
        last_message=_last_founder_text(tracker),
    )
    say(dispatcher, MESSAGES[outcome])
    return [SlotSet("pending", None), SlotSet("fallback_count", 0.0), ConversationPaused()]


class ActionEscalateToStaff(DatabaseAction):
    """Open a ticket for hub staff."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_escalate_to_staff"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Open the ticket."""
        reason = "fallback" if tracker.get_slot("pending") == "offer_human" else "request_human"
        return await escalate(dispatcher, tracker, session, reason)
