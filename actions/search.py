"""Answer topic questions from the resource database, with follow-ups and missing details."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions import runtime
from actions.base import DatabaseAction, intent_button, say
from actions.choices import TOPIC_INTENTS, country_buttons, sector_buttons
from hubdata import catalog, founders, searches
from hubdata.followups import is_elliptical

ANY = "any"
NEEDS_COUNTRY = frozenset({"funding", "hubs"})
NEEDS_SECTOR = frozenset({"funding"})


def resolve_topic(tracker: Tracker) -> str | None:
    """The topic this message is about: its own intent, or the last topic for a follow-up."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    entities = message.get("entities") or []
    last_topic = tracker.get_slot("topic")
    names_funding = any(e.get("entity") == "funding_type" for e in entities)
    if is_elliptical(message.get("text") or "", entities) and (last_topic or names_funding):
        return "funding" if names_funding else last_topic
    if intent in catalog.INTENT_TOPICS:
        return catalog.INTENT_TOPICS[intent]
    if any(e.get("entity") == "funding_type" for e in entities):
        return "funding"
    return last_topic


async def answer_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, topic: str
) -> list[dict[str, Any]]:
    """Ask for what is missing, or search and show the best matches for ``topic``."""
    user = runtime.user_id(tracker)
    language = runtime.reply_language(tracker)
    mentioned = runtime.entity_values(tracker)
    profile = await founders.get_or_create(session, user)
    # A country or sector named in this message is remembered for next time.
    remembered = {k: mentioned[k] for k in ("country", "sector") if mentioned.get(k, ANY) != ANY}
    if remembered:
        await founders.update_profile(session, user, **remembered)

    country = tracker.get_slot("country") or profile.country
    sector = tracker.get_slot("sector") or profile.sector
    funding_type = mentioned.get("funding_type") or (
        tracker.get_slot("funding_type") if tracker.get_slot("topic") == "funding" else None
    )
    events: list[dict[str, Any]] = [SlotSet("topic", topic), SlotSet("fallback_count", 0.0)]

    if topic in NEEDS_COUNTRY and not country:
        say(dispatcher, "ask.country", country_buttons(topic, language), topic=topic)
        return [*events, SlotSet("pending", "country")]
    if topic in NEEDS_SECTOR and not sector:
        say(dispatcher, "ask.sector", sector_buttons(topic), topic=topic)
        return [*events, SlotSet("pending", "sector")]

    query = catalog.Query(
        topic=topic,
        country=None if country == ANY else country,
        sector=None if sector == ANY else sector,
        funding_type=funding_type if topic == "funding" else None,
        stage=profile.stage,
        language=language,
    )
    results = await catalog.find(session, query)
    relaxed = False
    if not results and query.sector:
        relaxed = True
        query = catalog.Query(**{**query.__dict__, "sector": None})
        results = await catalog.find(session, query)
    filters = {k: v for k, v in (("country", query.country), ("sector", query.sector),
                                 ("funding_type", query.funding_type)) if v}
    params: dict[str, Any] = {"topic": topic, "filters": filters}
    if relaxed:
        params["sector"] = sector
    if not results:
        buttons = []
        if query.country:
            buttons.append(intent_button("button.search_everywhere", TOPIC_INTENTS[topic],
                                         country=ANY))
        buttons.append(intent_button("button.human", "request_human"))
        say(dispatcher, "results.none", buttons, **params)
        return [*events, SlotSet("pending", None)]

    stored = {k: v for k, v in query.__dict__.items() if v and k != "language"}
    search = await searches.save(session, user, topic, stored, [r.id for r in results])
    dispatcher.utter_message(
        json_message={
            "msgid": "results.relaxed" if relaxed else "results.found",
            "params": {**params, "count": len(results)},
            "search_id": search.id,
        }
    )
    return [*events, SlotSet("pending", None), SlotSet("funding_type", query.funding_type)]


class ActionSearchResources(DatabaseAction):
    """Find funding, mentors, hubs, events, training, partners or ITU membership records."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_search_resources"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Answer the topic question, or ask for the missing country or sector."""
        topic = resolve_topic(tracker)
        if topic is None:
            say(dispatcher, "ask_rephrase")
            return []
        return await answer_topic(dispatcher, tracker, session, topic)
