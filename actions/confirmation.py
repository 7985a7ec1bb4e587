"""Yes and no, read against the question the bot asked last (a person, or which topic)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.base import DatabaseAction, say
from actions.choices import topic_buttons
from actions.escalation import escalate
from actions.fallback import CLARIFY_PENDING


class ActionHandleAffirmDeny(DatabaseAction):
    """Accept or decline the offer of a person; otherwise invite a question."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_handle_affirm_deny"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Act on the pending question, if any."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        pending = tracker.get_slot("pending")
        if pending == "offer_human" and intent == "affirm":
            return await escalate(dispatcher, tracker, session, reason="fallback")
        if pending == CLARIFY_PENDING and intent == "deny":
            # "Something else": neither topic. Still a miss, so the counter stays: the next one
            # offers a person.
            say(dispatcher, "clarify.other", topic_buttons())
            return [SlotSet("pending", None)]
        msgid = "affirm.ack" if intent == "affirm" else "deny.ack"
        say(dispatcher, msgid, topic_buttons())
        return [SlotSet("pending", None), SlotSet("fallback_count", 0.0)]
