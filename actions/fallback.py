"""When the NLU is unsure: continue a follow-up, ask between two topics, ask to rephrase, then
offer a person.

Asking instead of guessing: when the two likeliest intents are both topics and either close to
each other or both plausible, the founder is asked "funding or a mentor?" with the two topics and
"something else" as buttons. The button pressed, following the unsure message, is what
``emergebot nlu inbox`` reads from the tracker store as the founder's own label for that message.
"""

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
# The FallbackClassifier's settings in nlu/config.yml (a test keeps them equal).
NLU_THRESHOLD = 0.40
NLU_AMBIGUITY = 0.05
# Below this the top topic is a guess not worth asking about: ask to rephrase instead.
HOPELESS = 0.20
SECOND_FLOOR = 0.10  # the second topic must be at least this likely to be offered
CLARIFY_PENDING = "clarify"


def likely_topics(tracker: Tracker) -> list[str]:
    """The topics the classifier found most likely for the latest message, best first."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    topics = [INTENT_TOPICS[r["name"]] for r in ranking if r.get("name") in INTENT_TOPICS]
    return topics[:LIKELY_TOPICS]


def clarify_candidates(tracker: Tracker) -> tuple[str, str] | None:
    """The two topics to ask between, or None when the message is hopeless or not about two.

    The two likeliest intents (the fallback pseudo-intent aside) must both be topics; the first
    at least ``HOPELESS``, the second at least ``SECOND_FLOOR``; and either they are closer than
    the classifier's ambiguity threshold or the first is below its confidence threshold.
    """
    ranking = [r for r in tracker.latest_message.get("intent_ranking") or []
               if r.get("name") != "nlu_fallback"]
    if len(ranking) < 2 or not all(r.get("name") in INTENT_TOPICS for r in ranking[:2]):
        return None
    first, second = (float(r.get("confidence") or 0.0) for r in ranking[:2])
    if first < HOPELESS or second < SECOND_FLOOR:
        return None
    if first - second < NLU_AMBIGUITY or first < NLU_THRESHOLD:
        return INTENT_TOPICS[ranking[0]["name"]], INTENT_TOPICS[ranking[1]["name"]]
    return None


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
        """Continue the last topic, or ask between two topics, or ask to rephrase with likely
        topics, or offer a person."""
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
        candidates = clarify_candidates(tracker)
        if candidates is not None:
            buttons = [*topic_buttons(list(candidates)),
                       intent_button("button.something_else", "deny")]
            say(dispatcher, "clarify.ask", buttons, seeking=candidates[0],
                seeking_other=candidates[1])
            return [*events, SlotSet("pending", CLARIFY_PENDING)]
        say(dispatcher, "fallback.rephrase", topic_buttons(likely_topics(tracker) or None))
        return [*events, SlotSet("pending", None)]


