"""When the NLU is unsure: continue a follow-up, ask to rephrase, then offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import runtime
from actions.base import DatabaseAction, intent_button, say
from actions.choices import topic_buttons
from actions.search import answer_topic, resolve_topic
from hubdata.catalog import INTENT_TOPICS

OFFER_HUMAN_AFTER = 2  # consecutive misunderstandings
LIKELY_TOPICS = 3


def likely_topics(tracker: Tracker) -> list[str]:
    """The topics the classifier found most likely for the latest message, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    topics = [INTENT_TOPICS[r["name"]] for r in ranking if r.get("name") in INTENT_TOPICS]
    return topics[:LIKELY_TOPICS]


def _has_search_entity(tracker: Tracker) -> bool:
    return any(
        e.get("entity") in ("country", "sector", "funding_type")
        for e in tracker.latest_message.get("entities") or []
    )


class ActionHandleFallback(DatabaseAction):
    """Handle a message the NLU could not classify with confidence."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_handle_fallback"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Continue the last topic, or ask to rephrase with likely topics, or offer a person."""
        topic = resolve_topic(tracker)
        names_funding = "funding_type" in runtime.entity_values(tracker)
        in_context = tracker.get_slot("topic") or tracker.get_slot("pending")
        if topic is not None and (names_funding or (_has_search_entity(tracker) and in_context)):
            return await answer_topic(dispatcher, tracker, session, topic)

        count = int(tracker.get_slot("fallback_count") or 0) + 1
        events: list[dict[str, Any]] = [SlotSet("fallback_count", float(count))]
        if count >= OFFER_HUMAN_AFTER:
            buttons = [intent_button("button.human", "request_human"),
                       intent_button("button.no_thanks", "deny")]
            say(dispatcher, "fallback.offer_human", buttons)
            return [*events, SlotSet("pending", "offer_human")]
        say(dispatcher, "fallback.rephrase", topic_buttons(likely_topics(tracker) or None))
        return [*events, SlotSet("pending", None)]


