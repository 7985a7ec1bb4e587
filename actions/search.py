"""Answer topic questions from the resource database, with follow-ups and missing details."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions import runtime
from actions.base import DatabaseAction, intent_button, say
from actions.choices import TOPIC_INTENTS, country_buttons, sector_buttons
from hubdata import answers, catalog, founders, searches
from hubdata.followups import is_elliptical
from hubdata.models import Founder

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


# The filters that mean something for each topic: ITU membership and the EMERGE partners are
# the same wherever a founder is, so a country or sector from earlier must not narrow them.
TOPIC_FILTERS: dict[str, tuple[str, ...]] = {
    "funding": ("country", "sector"),
    "mentor": ("country", "sector"),
    "hubs": ("country", "sector"),
    "events": ("country", "sector"),
    "training": ("country", "sector"),
    "membership": (),
    "partnership": (),
}
# Founders are start-ups: without a stage in their profile, entries for start-ups come first
# (the SME membership before Academia's).
DEFAULT_STAGE = "early"


def _filter_values(
    tracker: Tracker, topic: str, mentioned: dict[str, str], profile: Any
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Country and sector for this question, and where each carried-over one came from.

    A value named now (or chosen from the buttons just offered) applies; one named earlier
    carries over only while the topic stays the same; otherwise the founder's own profile
    (set with /profile) applies. Returns (values, {field: "earlier" | "profile"}).
    """
    same_topic = tracker.get_slot("topic") == topic
    answering = tracker.get_slot("pending") in ("country", "sector") and same_topic
    values: dict[str, str | None] = {}
    origins: dict[str, str] = {}
    for field in ("country", "sector"):
        value: str | None = None
        if field not in TOPIC_FILTERS[topic]:
            values[field] = None
            continue
        if mentioned.get(field):
            value = mentioned[field]
        elif same_topic and tracker.get_slot(field):
            value = tracker.get_slot(field)
            if not answering and value != ANY:
                origins[field] = "earlier"
        elif getattr(profile, field):
            value = getattr(profile, field)
            origins[field] = "profile"
        values[field] = value
    return values, origins


_PROFILE = select(Founder.country, Founder.sector, Founder.stage)


async def _profile(session: AsyncSession, user: int) -> Any:
    """The founder's country, sector and stage (attributes of a row); an empty profile is
    created on first contact, as ``founders.get_or_create`` does, which it is used for."""
    row = (await session.execute(_PROFILE.where(Founder.user_id == user))).first()
    if row is None:
        return await founders.get_or_create(session, user)
    return row


async def answer_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession, topic: str
) -> list[dict[str, Any]]:
    """Ask for what is missing, or search and show the best matches for ``topic``."""
    user = runtime.user_id(tracker)
    language = runtime.reply_language(tracker)
    today = runtime.today()
    mentioned = runtime.entity_values(tracker)
    profile = await _profile(session, user)
    values, origins = _filter_values(tracker, topic, mentioned, profile)
    country, sector = values["country"], values["sector"]
    funding_type = mentioned.get("funding_type") or (
        tracker.get_slot("funding_type") if tracker.get_slot("topic") == "funding" else None
    )
    events: list[dict[str, Any]] = [SlotSet("topic", topic), SlotSet("fallback_count", 0.0)]
    text = tracker.latest_message.get("text") or ""
    answer_id = await answers.best_id(session, text, language, topic, today)
    if answer_id is not None:
        dispatcher.utter_message(json_message={"answer_id": answer_id})

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
        stage=profile.stage or DEFAULT_STAGE,
        language=language,
        past_editions=topic == "events" and catalog.asks_past_editions(text),
    )
    # ``catalog.find``'s results, from the cached catalogue (fresh after any committed change)
    results = await catalog.find_entries(session, query, today)
    relaxed = False
    if not results and query.sector:
        relaxed = True
        query = catalog.Query(**{**query.__dict__, "sector": None})
        results = await catalog.find_entries(session, query, today)
    filters = {k: v for k, v in (("country", query.country), ("sector", query.sector),
                                 ("funding_type", query.funding_type)) if v}
    params: dict[str, Any] = {"topic": topic, "filters": filters}
    if relaxed:
        params["sector"] = sector
    stored: dict[str, Any] = {"topic": topic, **filters}
    if profile.stage:
        stored["stage"] = profile.stage
    search_id = await searches.add(session, user, topic, stored, [r.id for r in results],
                                   catalog.supply(results))
    if not results:
        buttons = []
        if query.country:
            buttons.append(intent_button("button.search_everywhere", TOPIC_INTENTS[topic],
                                         country=ANY))
        buttons.append(intent_button("button.human", "request_human"))
        say(dispatcher, "results.none", buttons, **params)
        return [*events, SlotSet("pending", None)]

    message: dict[str, Any] = {
        "msgid": "results.relaxed" if relaxed else "results.found",
        "params": {**params, "count": len(results)},
        "search_id": search_id,
    }
    carried = {k: getattr(query, k) for k in origins if getattr(query, k)}
    if carried:
        # Say which filters came from earlier, with a button to drop each.
        from_profile = set(origins.values()) == {"profile"}
        message["notes"] = [{"msgid": "results.from_profile" if from_profile
                             else "results.from_earlier", "params": {"filters": carried}}]
        message["buttons"] = [
            intent_button("button.drop_filter", TOPIC_INTENTS[topic], {"filters": {k: v}},
                          **{k: ANY}) for k, v in carried.items()]
    dispatcher.utter_message(json_message=message)
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
