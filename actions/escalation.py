"""A founder asks for a person: record the request and say what happens next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions import runtime
from actions.base import DatabaseAction, say
from hubdata import escalations


def _last_founder_text(tracker: Tracker) -> str | None:
    """The founder's last typed message before this request (skipping button payloads)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = event.get("text") or ""
            if text and not text.startswith("/"):
                return text
    return None


async def escalate(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, reason: str
) -> list[dict[str, Any]]:
    """Open (or find) the founder's escalation and tell them what happens next."""
    _, created = await escalations.request(
        session,
        runtime.user_id(tracker),
        language=runtime.reply_language(tracker),
        reason=reason,
        topic=tracker.get_slot("topic"),
        last_message=_last_founder_text(tracker),
    )
    say(dispatcher, "escalation.created" if created else "escalation.already_open")
    return [SlotSet("pending", None), SlotSet("fallback_count", 0.0)]


class ActionEscalateToStaff(DatabaseAction):
    """Record a request for a person from hub staff."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_escalate_to_staff"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Open the escalation."""
        reason = "fallback" if tracker.get_slot("pending") == "offer_human" else "request_human"
        return await escalate(dispatcher, tracker, session, reason)
