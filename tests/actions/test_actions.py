"""The Rasa custom actions, run against a real (SQLite) database with hand-built trackers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import sessionmaker

from actions import fallback, runtime
from actions.confirmation import ActionHandleAffirmDeny
from actions.escalation import ActionEscalateToStaff
from actions.fallback import ActionHandleFallback
from actions.language import ActionChangeLanguage, ActionOutOfScope
from actions.search import ActionSearchResources
from hubdata import catalog, founders, geo, searches
from hubdata.db import transaction
from hubdata.models import SECTORS, Resource, ResourceText, Search, Ticket
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES, Settings

SENDER = "4242"
USER = 4242
DOWN_URL = "postgresql+asyncpg://127.0.0.1:1/nothing"


# ------------------------------------------------------------------------- helpers


def entity(name: str, value: str, text: str = "", start: int | None = None) -> dict[str, Any]:
    """An entity as Rasa puts it in parse data (offsets when the mention is in ``text``)."""
    found: dict[str, Any] = {"entity": name, "value": value}
    if start is not None:
        found |= {"start": start, "end": start + len(text)}
    return found


def tracker(
    text: str = "",
    intent: str | None = None,
    entities: Iterable[dict[str, Any]] = (),
    slots: dict[str, Any] | None = None,
    ranking: Iterable[str] = (),
    reply_language: str | None = "fr",
    earlier_texts: Iterable[str] = (),
) -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": list(entities),
        "intent_ranking": [
            {"name": name, "confidence": round(0.5 - i * 0.05, 2)}
            for i, name in enumerate(ranking)
        ],
    }
    metadata = {"reply_language": reply_language} if reply_language else {}
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    for earlier in earlier_texts:
        events += [
            {"event": "user", "text": earlier, "parse_data": {}, "metadata": {}},
            {"event": "action", "name": "action_listen"},
        ]
    events.append({"event": "user", "text": text, "parse_data": latest, "metadata": metadata})
    return Tracker(SENDER, dict(slots or {}), latest, events, False, None, {}, "action_listen")


async def run(action: Action, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``action``; return the json messages it sent and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    for message in dispatcher.messages:
        assert message["text"] is None and message["buttons"] == []
    return [m["custom"] for m in dispatcher.messages], events


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(e["event"] == "slot" for e in events), events
    return {e["name"]: e["value"] for e in events}


def payload(button: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split a button payload "/intent{json}" into the intent and its entities."""
    text = button["payload"]
    assert text.startswith("/")
    intent, _, rest = text[1:].partition("{")
    return intent, json.loads("{" + rest) if rest else {}


def hand_resource(rid: str, kind: str, areas: list[str], **fields: Any) -> Resource:
    row = Resource(
        id=rid, kind=kind, organisation="Org", areas=areas,
        sectors=fields.pop("sectors", ["any"]), stages=["any"], languages=["en"],
        url=f"https://example.org/{rid}", source_url="https://example.org/src",
        verified_on=date(2026, 11, 1), status="current", **fields,
    )
    row.texts.append(ResourceText(lang="en", title=rid, description="d"))
    return row


@pytest.fixture
async def live(seeded: sessionmaker, database_url: str) -> AsyncIterator[sessionmaker]:
    """The action runtime on the seeded database; yields a factory to inspect it."""
    runtime.start(Settings(database_url=database_url))
    try:
        yield seeded
    finally:
        await runtime.stop()


@pytest.fixture
async def small(sessions: sessionmaker, database_url: str) -> AsyncIterator[sessionmaker]:
    """The action runtime on a tiny hand-made catalogue: one hub in Kenya, one fintech grant."""
    async with transaction(sessions) as session:
        session.add_all([
            hand_resource("kenya-hub", "hub", ["KE"]),
            hand_resource("kenya-fintech-grant", "funding", ["KE"], funding_type="grant",
                          sectors=["fintech"]),
        ])
    runtime.start(Settings(database_url=database_url))
    try:
        yield sessions
    finally:
        await runtime.stop()


async def stored_founder(sessions: sessionmaker):
    async with transaction(sessions) as session:
        return await founders.get(session, USER)


async def stored_escalations(sessions: sessionmaker) -> list[Ticket]:
    async with transaction(sessions) as session:
        return list((await session.execute(select(Ticket))).scalars())


# -------------------------------------------------------------------------- search


@pytest.mark.parametrize(("reply_language", "first"), [("fr", "SN"), ("en", "KE"), (None, "KE")])
async def test_search_asks_for_the_country_first(
    live: sessionmaker, reply_language: str | None, first: str
) -> None:
    messages, events = await run(
        ActionSearchResources(),
        tracker("I need funding", "ask_funding", reply_language=reply_language),
    )
    (message,) = messages
    assert message["msgid"] == "ask.country"
    assert message["params"] == {"topic": "funding"}
    buttons = message["buttons"]
    assert payload(buttons[0]) == ("ask_funding", {"country": first})
    assert buttons[0]["params"] == {"country": first}
    assert buttons[0]["payload"] == '/ask_funding{"country":"' + first + '"}'
    assert payload(buttons[-1]) == ("ask_funding", {"country": "any"})
    assert all(geo.is_country(payload(b)[1]["country"]) for b in buttons[:-1])
    assert slot_events(events) == {"topic": "funding", "fallback_count": 0.0,
                                   "pending": "country"}
    founder = await stored_founder(live)
    assert founder is not None and founder.country is None


async def test_search_asks_for_the_sector_once_the_country_is_known(live: sessionmaker) -> None:
    messages, events = await run(
        ActionSearchResources(),
        tracker("/ask_funding", "ask_funding", [entity("country", "KE")],
                slots={"country": "KE", "topic": "funding", "pending": "country"}),
    )
    (message,) = messages
    assert message["msgid"] == "ask.sector"
    sectors = [payload(b) for b in message["buttons"]]
    assert sectors == [("ask_funding", {"sector": s}) for s in (*SECTORS, "any")]
    assert slot_events(events)["pending"] == "sector"
    founder = await stored_founder(live)
    # a country named in a question is not written into the profile (only /profile does)
    assert founder is not None and founder.country is None


async def test_hubs_do_not_need_a_sector(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionSearchResources(),
        tracker("hubs in Kenya", "ask_hubs", [entity("country", "KE", "Kenya", 8)],
                slots={"country": "KE"}),
    )
    assert messages[0]["msgid"] == "results.found"


async def test_search_finds_and_stores_matching_results(live: sessionmaker) -> None:
    text = "agritech grants in Kenya"
    messages, events = await run(
        ActionSearchResources(),
        tracker(
            text, "ask_funding",
            [entity("sector", "agritech", "agritech", 0), entity("funding_type", "grant",
             "grants", 9), entity("country", "KE", "Kenya", 19)],
            slots={"country": "KE", "sector": "agritech", "funding_type": "grant"},
        ),
    )
    (message,) = messages
    assert message["msgid"] == "results.found"
    filters = {"country": "KE", "sector": "agritech", "funding_type": "grant"}
    assert message["params"]["topic"] == "funding"
    assert message["params"]["filters"] == filters
    assert slot_events(events) == {"topic": "funding", "fallback_count": 0.0, "pending": None,
                                   "funding_type": "grant"}

    async with transaction(live) as session:
        search = await searches.get(session, message["search_id"])
        assert search is not None
        assert search.user_id == USER and search.topic == "funding"
        assert search.filters == {"topic": "funding", **filters}
        assert message["params"]["count"] == len(search.result_ids) >= 3
        expected = await catalog.find(session, catalog.Query(
            topic="funding", country="KE", sector="agritech", funding_type="grant",
            language="fr"))
        assert search.result_ids == [r.id for r in expected]
        kenya = geo.areas_for_country("KE")
        for row in await catalog.get_many(session, search.result_ids):
            assert row.kind == "funding" and row.funding_type == "grant"
            assert set(row.areas) & kenya
            assert "agritech" in row.sectors or "any" in row.sectors
    founder = await stored_founder(live)
    assert founder is not None and (founder.country, founder.sector) == (None, None)
    assert len(search.result_ids) == message["params"]["count"]
    # supply says whether a current entry was among them (Kenya's grants are mostly "dated")
    assert search.supply == catalog.supply(expected)


async def test_the_profile_applies_to_later_questions_and_says_so(live: sessionmaker) -> None:
    async with transaction(live) as session:
        await founders.update_profile(session, USER, country="UG")
    # a new conversation: no slots, but the profile knows the country
    messages, events = await run(ActionSearchResources(), tracker("any hubs?", "ask_hubs"))
    (found,) = messages
    assert found["msgid"] == "results.found"
    assert found["params"]["filters"] == {"country": "UG"}
    assert found["notes"] == [{"msgid": "results.from_profile",
                               "params": {"filters": {"country": "UG"}}}]
    assert [payload(b) for b in found["buttons"]] == [("ask_hubs", {"country": "any"})]
    assert found["buttons"][0]["params"] == {"filters": {"country": "UG"}}
    assert slot_events(events)["topic"] == "hubs"


async def test_filters_from_another_topic_do_not_carry_over(live: sessionmaker) -> None:
    """After "a mentor for my fintech start-up in Senegal", the events and membership
    questions are not answered under "Senegal · Fintech"."""
    slots = {"topic": "mentor", "country": "SN", "sector": "fintech"}
    messages, _ = await run(ActionSearchResources(),
                            tracker("what events are coming up?", "ask_events", slots=slots))
    assert messages[0]["msgid"] == "results.found"
    assert messages[0]["params"]["filters"] == {}
    assert "notes" not in messages[0] and "buttons" not in messages[0]
    messages, _ = await run(ActionSearchResources(), tracker(
        "how much does ITU membership cost for a start-up?", "ask_membership", slots=slots))
    found = next(m for m in messages if m.get("msgid") == "results.found")
    assert found["params"]["filters"] == {}
    async with transaction(live) as session:
        search = await searches.get(session, found["search_id"])
        first = (await catalog.get_many(session, search.result_ids[:1]))[0]
    assert "academia" not in first.id  # a start-up is shown the SME category first
    # membership is never narrowed by country or sector, even when named now
    messages, _ = await run(ActionSearchResources(), tracker(
        "ITU membership for fintech in Senegal", "ask_membership",
        [entity("country", "SN"), entity("sector", "fintech")], slots=slots))
    found = next(m for m in messages if m.get("msgid") == "results.found")
    assert found["params"]["filters"] == {}


async def test_any_country_is_not_remembered(live: sessionmaker) -> None:
    await run(ActionSearchResources(),
              tracker("/ask_hubs", "ask_hubs", [entity("country", "any")],
                      slots={"country": "any"}))
    founder = await stored_founder(live)
    assert founder is not None and founder.country is None


@pytest.mark.parametrize("action", [ActionSearchResources, ActionHandleFallback])
async def test_follow_up_keeps_the_topic(live: sessionmaker, action: type[Action]) -> None:
    text = "and in Uganda?"
    messages, events = await run(
        action(),
        tracker(text, "out_of_scope", [entity("country", "UG", "Uganda", 7)],
                slots={"topic": "funding", "country": "UG", "sector": "fintech",
                       "funding_type": "equity"}),
    )
    (message,) = messages
    assert message["msgid"] == "results.found"
    assert message["params"]["topic"] == "funding"
    assert message["params"]["filters"] == {"country": "UG", "sector": "fintech",
                                            "funding_type": "equity"}
    # the sector came from the earlier question: the reply says so, with a button to drop it
    assert message["notes"] == [{"msgid": "results.from_earlier",
                                 "params": {"filters": {"sector": "fintech"}}}]
    assert [payload(b) for b in message["buttons"]] == [("ask_funding", {"sector": "any"})]
    slots = slot_events(events)
    assert slots["topic"] == "funding" and slots["funding_type"] == "equity"
    async with transaction(live) as session:
        search = await searches.get(session, message["search_id"])
        assert search is not None and search.topic == "funding"


async def test_follow_up_misread_as_another_topic_keeps_the_topic(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionSearchResources(),
        tracker("and in Uganda?", "ask_hubs", [entity("country", "UG", "Uganda", 7)],
                slots={"topic": "funding", "country": "UG", "sector": "any"}),
    )
    assert messages[0]["msgid"] == "results.found"
    assert messages[0]["params"]["topic"] == "funding"


async def test_new_question_with_a_country_changes_the_topic(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionSearchResources(),
        tracker("show me hubs in Uganda", "ask_hubs",
                [entity("country", "UG", "Uganda", 16)],
                slots={"topic": "funding", "country": "UG", "sector": "any"}),
    )
    assert messages[0]["params"]["topic"] == "hubs"


async def test_funding_type_follow_up_switches_to_funding(live: sessionmaker) -> None:
    messages, events = await run(
        ActionSearchResources(),
        tracker("and loans?", "out_of_scope", [entity("funding_type", "loan", "loans", 4)],
                slots={"topic": "hubs", "country": "KE", "sector": "any",
                       "funding_type": "loan"}),
    )
    # a new topic: the hubs' country does not carry over, so it is asked for
    (message,) = messages
    assert message["msgid"] == "ask.country"
    assert message["params"]["topic"] == "funding"
    assert slot_events(events)["topic"] == "funding"


async def test_funding_type_slot_is_ignored_for_a_new_funding_question(
    live: sessionmaker,
) -> None:
    messages, events = await run(
        ActionSearchResources(),
        tracker("funding please in Kenya", "ask_funding", [entity("country", "KE")],
                slots={"topic": "hubs", "country": "KE", "sector": "any",
                       "funding_type": "prize"}),
    )
    assert messages[0]["msgid"] == "ask.sector"  # the hubs' "any sector" does not carry over
    messages, events = await run(
        ActionSearchResources(),
        tracker("/ask_funding", "ask_funding", [entity("sector", "any")],
                slots={"topic": "funding", "country": "KE", "sector": "any",
                       "funding_type": "prize", "pending": "sector"}),
    )
    assert messages[0]["params"]["filters"] == {"country": "KE", "funding_type": "prize"}
    assert "notes" not in messages[0]  # chosen just now from the buttons: not "earlier"


async def test_no_topic_asks_to_rephrase(live: sessionmaker) -> None:
    messages, events = await run(ActionSearchResources(), tracker("hmm", "greet"))
    assert messages == [{"msgid": "ask_rephrase"}]
    assert events == []


async def test_nothing_found_offers_to_search_everywhere(small: sessionmaker) -> None:
    messages, events = await run(
        ActionSearchResources(),
        tracker("hubs in Uganda", "ask_hubs", [entity("country", "UG", "Uganda", 8)],
                slots={"country": "UG"}),
    )
    (message,) = messages
    assert message["msgid"] == "results.none"
    assert message["params"] == {"topic": "hubs", "filters": {"country": "UG"}}
    assert [payload(b) for b in message["buttons"]] == [
        ("ask_hubs", {"country": "any"}), ("request_human", {})
    ]
    assert message["buttons"][0]["msgid"] == "button.search_everywhere"
    assert "search_id" not in message
    assert slot_events(events)["pending"] is None
    async with transaction(small) as session:  # kept as demand the catalogue did not meet
        (search,) = (await session.execute(select(Search))).scalars().all()
        assert (search.result_ids, search.supply) == ([], "none")

    # the founder taps "search everywhere"
    messages, _ = await run(
        ActionSearchResources(),
        tracker("/ask_hubs", "ask_hubs", [entity("country", "any")],
                slots={"country": "any", "topic": "hubs"}),
    )
    (message,) = messages
    assert message["msgid"] == "results.found"
    assert message["params"] == {"topic": "hubs", "filters": {}, "count": 1}
    founder = await stored_founder(small)
    assert founder is not None and founder.country is None


async def test_no_match_for_the_sector_relaxes_it(small: sessionmaker) -> None:
    messages, _ = await run(
        ActionSearchResources(),
        tracker("agritech funding in Kenya", "ask_funding",
                [entity("sector", "agritech"), entity("country", "KE")],
                slots={"country": "KE", "sector": "agritech"}),
    )
    (message,) = messages
    assert message["msgid"] == "results.relaxed"
    assert message["params"]["sector"] == "agritech"
    assert message["params"]["filters"] == {"country": "KE"}
    assert message["params"]["count"] == 1
    async with transaction(small) as session:
        search = await searches.get(session, message["search_id"])
        assert search is not None and search.result_ids == ["kenya-fintech-grant"]


# ------------------------------------------------------------------------ fallback


async def test_first_fallback_asks_to_rephrase_with_likely_topics(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        tracker("blorp", "nlu_fallback", ranking=["nlu_fallback", "ask_events", "greet",
                                                  "ask_funding", "ask_hubs", "ask_training"]),
    )
    (message,) = messages
    assert message["msgid"] == "fallback.rephrase"
    assert [payload(b)[0] for b in message["buttons"]] == ["ask_events", "ask_funding",
                                                          "ask_hubs"]
    assert [b["msgid"] for b in message["buttons"]] == ["topic.events", "topic.funding",
                                                       "topic.hubs"]
    assert slot_events(events) == {"fallback_count": 1.0, "pending": None}


async def test_fallback_without_likely_topics_offers_all(live: sessionmaker) -> None:
    messages, _ = await run(ActionHandleFallback(),
                            tracker("blorp", "nlu_fallback", ranking=["greet"]))
    assert len(messages[0]["buttons"]) == len(catalog.INTENT_TOPICS)


async def test_second_fallback_offers_a_person(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        tracker("blorp again", "nlu_fallback", ranking=["ask_events"],
                slots={"fallback_count": 1.0}),
    )
    (message,) = messages
    assert message["msgid"] == "fallback.offer_human"
    assert [payload(b)[0] for b in message["buttons"]] == ["request_human", "deny"]
    assert slot_events(events) == {"fallback_count": 2.0, "pending": "offer_human"}


async def test_fallback_entity_without_context_is_not_a_search(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        tracker("Uganda", "nlu_fallback", [entity("country", "UG", "Uganda", 0)],
                slots={"country": "UG"}),
    )
    assert messages[0]["msgid"] == "fallback.rephrase"


def ranked(text: str, confidences: dict[str, float], **kwargs: Any) -> Tracker:
    """An unsure message whose ranking has these confidences (the fallback first, as Rasa's
    FallbackClassifier puts it)."""
    t = tracker(text, "nlu_fallback", **kwargs)
    t.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        *({"name": name, "confidence": c} for name, c in confidences.items()),
    ]
    return t


async def test_two_close_topics_are_asked_about_not_guessed(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleFallback(),
        ranked("someone to fund or guide my startup", {"ask_funding": 0.43, "ask_mentor": 0.40,
                                                       "greet": 0.05}),
    )
    (message,) = messages
    assert message["msgid"] == "clarify.ask"
    assert message["params"] == {"seeking": "funding", "seeking_other": "mentor"}
    assert [payload(b)[0] for b in message["buttons"]] == ["ask_funding", "ask_mentor", "deny"]
    assert [b["msgid"] for b in message["buttons"]] == ["topic.funding", "topic.mentor",
                                                       "button.something_else"]
    assert slot_events(events) == {"fallback_count": 1.0, "pending": "clarify"}


async def test_an_unsure_but_plausible_pair_is_asked_about(live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        ranked("hub training?", {"ask_hubs": 0.31, "ask_training": 0.18, "ask_events": 0.1}),
    )
    assert messages[0]["msgid"] == "clarify.ask"
    assert messages[0]["params"] == {"seeking": "hubs", "seeking_other": "training"}


@pytest.mark.parametrize("confidences", [
    {"ask_funding": 0.15, "ask_mentor": 0.14},  # hopeless: no topic is likely enough
    {"ask_funding": 0.35, "ask_mentor": 0.05},  # only one plausible topic
    {"out_of_scope": 0.35, "ask_funding": 0.33, "ask_mentor": 0.30},  # not two topics
    {"ask_funding": 0.38, "greet": 0.37, "ask_mentor": 0.2},
    {"ask_funding": 0.55, "ask_mentor": 0.45},  # sure enough and not close
])
async def test_hopeless_or_not_two_topics_asks_to_rephrase(
        live: sessionmaker, confidences: dict[str, float]) -> None:
    messages, events = await run(ActionHandleFallback(), ranked("blorp", confidences))
    assert messages[0]["msgid"] == "fallback.rephrase"
    assert slot_events(events) == {"fallback_count": 1.0, "pending": None}


async def test_a_second_miss_offers_a_person_even_when_two_topics_are_close(
        live: sessionmaker) -> None:
    messages, _ = await run(
        ActionHandleFallback(),
        ranked("funds or mentors", {"ask_funding": 0.43, "ask_mentor": 0.41},
               slots={"fallback_count": 1.0}),
    )
    assert messages[0]["msgid"] == "fallback.offer_human"


async def test_something_else_invites_words_and_keeps_the_miss_counted(
        live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("/deny", "deny", slots={"pending": "clarify", "fallback_count": 1.0}),
    )
    (message,) = messages
    assert message["msgid"] == "clarify.other"
    assert len(message["buttons"]) == len(catalog.INTENT_TOPICS)
    assert slot_events(events) == {"pending": None}  # the next miss offers a person
    assert await stored_escalations(live) == []


def test_thresholds_match_the_fallback_classifier() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "nlu" / "config.yml").read_text(encoding="utf-8"))
    (classifier,) = [c for c in config["pipeline"] if c["name"] == "FallbackClassifier"]
    assert fallback.NLU_THRESHOLD == classifier["threshold"]
    assert fallback.NLU_AMBIGUITY == classifier["ambiguity_threshold"]
    assert fallback.SECOND_FLOOR < fallback.HOPELESS < fallback.NLU_THRESHOLD


# ---------------------------------------------------------------------- escalation


async def test_escalation_is_created_once(live: sessionmaker) -> None:
    t = tracker("/request_human", "request_human", slots={"topic": "membership"},
                earlier_texts=["How do I join ITU as a small company?"])
    messages, events = await run(ActionEscalateToStaff(), t)
    assert messages == [{"msgid": "escalation.created"}]
    assert events[-1]["event"] == "pause"  # the staff desk has the conversation now
    assert slot_events(events[:-1]) == {"pending": None, "fallback_count": 0.0}
    messages, _ = await run(ActionEscalateToStaff(), t)
    assert messages == [{"msgid": "escalation.already_open"}]
    (row,) = await stored_escalations(live)
    assert (row.founder_id, row.language, row.reason, row.topic, row.status) == (
        USER, "fr", "request_human", "membership", "waiting")
    assert row.last_message == "How do I join ITU as a small company?"


async def test_escalation_takes_topic_and_details_from_the_conversation(
        live: sessionmaker) -> None:
    t = tracker("/request_human", "request_human", slots={"country": "KE", "sector": "agritech"})
    t.events.insert(1, {"event": "user", "text": "any mentors?", "metadata": {},
                        "parse_data": {"intent": {"name": "ask_mentor"}}})
    await run(ActionEscalateToStaff(), t)
    (row,) = await stored_escalations(live)
    assert row.topic == "mentor" and row.entities == {"country": "KE", "sector": "agritech"}


async def test_escalation_after_offer_is_a_fallback(live: sessionmaker) -> None:
    await run(ActionEscalateToStaff(),
              tracker("a person please", "request_human", slots={"pending": "offer_human"},
                      reply_language="ar"))
    (row,) = await stored_escalations(live)
    assert (row.reason, row.language, row.last_message) == ("fallback", "ar", "a person please")


# ------------------------------------------------------------------------ language


async def test_change_language_stores_the_choice(live: sessionmaker) -> None:
    messages, events = await run(
        ActionChangeLanguage(),
        tracker("answer in Spanish", "change_language",
                [entity("language", "es", "Spanish", 10)]),
    )
    assert messages == [{"msgid": "language.changed", "params": {"language": "es"}}]
    assert events == []
    founder = await stored_founder(live)
    assert founder is not None and founder.language == "es"


@pytest.mark.parametrize("entities", [[], [{"entity": "language", "value": "de"}]])
async def test_change_language_without_a_supported_language_offers_all(
    live: sessionmaker, entities: list[dict[str, Any]]
) -> None:
    messages, events = await run(
        ActionChangeLanguage(), tracker("other language", "change_language", entities)
    )
    (message,) = messages
    assert message["msgid"] == "language.choose"
    assert len(message["buttons"]) == 7
    assert [payload(b) for b in message["buttons"]] == [
        ("change_language", {"language": code}) for code in SUPPORTED_LANGUAGES
    ]
    assert [b["params"] for b in message["buttons"]] == [
        {"language": code} for code in SUPPORTED_LANGUAGES
    ]
    assert events == []
    assert await stored_founder(live) is None


# -------------------------------------------------------------------- affirm, deny


async def test_affirm_after_offer_escalates(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("yes", "affirm", slots={"pending": "offer_human", "fallback_count": 2.0}),
    )
    assert messages == [{"msgid": "escalation.created"}]
    assert slot_events(events[:-1]) == {"pending": None, "fallback_count": 0.0}
    (row,) = await stored_escalations(live)
    assert row.reason == "fallback" and row.founder_id == USER


async def test_deny_after_offer_acknowledges(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("no thanks", "deny", slots={"pending": "offer_human", "fallback_count": 2.0}),
    )
    (message,) = messages
    assert message["msgid"] == "deny.ack"
    assert len(message["buttons"]) == len(catalog.INTENT_TOPICS)
    assert slot_events(events) == {"pending": None, "fallback_count": 0.0}
    assert await stored_escalations(live) == []


async def test_affirm_without_offer_does_not_escalate(live: sessionmaker) -> None:
    messages, _ = await run(ActionHandleAffirmDeny(), tracker("yes", "affirm"))
    assert messages[0]["msgid"] == "affirm.ack"
    assert await stored_escalations(live) == []


# ------------------------------------------------------------------- database down


DOWN_CASES = [
    (ActionSearchResources, tracker("grants in Kenya", "ask_funding",
                                    [entity("country", "KE", "Kenya", 10)],
                                    slots={"country": "KE"})),
    (ActionSearchResources, tracker("I need funding", "ask_funding")),
    (ActionHandleFallback, tracker("and in Uganda?", "nlu_fallback",
                                   [entity("country", "UG", "Uganda", 7)],
                                   slots={"topic": "hubs", "country": "UG"})),
    (ActionEscalateToStaff, tracker("/request_human", "request_human")),
    (ActionChangeLanguage, tracker("in French", "change_language",
                                   [entity("language", "fr", "French", 3)])),
    (ActionHandleAffirmDeny, tracker("yes", "affirm", slots={"pending": "offer_human"})),
]


@pytest.fixture
async def database_down() -> AsyncIterator[None]:
    runtime.start(Settings(database_url=DOWN_URL))
    try:
        yield
    finally:
        await runtime.stop()


@pytest.mark.parametrize(("action", "t"), DOWN_CASES,
                         ids=[f"{a.__name__}-{i}" for i, (a, _) in enumerate(DOWN_CASES)])
async def test_database_down_is_reported(database_down: None, action: type[Action],
                                         t: Tracker) -> None:
    messages, events = await run(action(), t)
    assert messages == [{"msgid": "error.database"}]
    assert events == []


async def test_failed_commit_takes_back_what_was_said(
    sessions: sessionmaker, database_url: str
) -> None:
    async with transaction(sessions) as session:
        await founders.get_or_create(session, USER)
        if database_url.startswith("sqlite"):
            await session.execute(sql_text(
                "CREATE TRIGGER refuse_updates BEFORE UPDATE ON founders "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
            ))
        else:
            await session.execute(sql_text(
                "CREATE FUNCTION refuse_updates() RETURNS trigger AS "
                "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql"))
            await session.execute(sql_text(
                "CREATE TRIGGER refuse_updates BEFORE UPDATE ON founders "
                "FOR EACH ROW EXECUTE FUNCTION refuse_updates()"))
    runtime.start(Settings(database_url=database_url))
    try:
        messages, events = await run(
            ActionChangeLanguage(),
            tracker("in Russian", "change_language", [entity("language", "ru", "Russian", 3)]),
        )
    finally:
        await runtime.stop()
    assert messages == [{"msgid": "error.database"}]
    assert events == []
    founder = await stored_founder(sessions)
    assert founder is not None and founder.language is None


async def test_runtime_must_be_started() -> None:
    with pytest.raises(RuntimeError):
        runtime.current()


async def test_out_of_scope_names_our_languages_only_for_a_language_we_do_not_serve() -> None:
    swahili = tracker("natafuta mkopo kwa biashara yangu", "out_of_scope")
    swahili.latest_message["language"] = {"code": None, "confidence": 0.8, "other": "sw"}
    english = tracker("what is the capital of Peru", "out_of_scope")
    english.latest_message["language"] = {"code": "en", "confidence": 0.9, "other": None}
    [told], events = await run(ActionOutOfScope(), swahili)
    [plain], _ = await run(ActionOutOfScope(), english)
    assert events == []
    assert told["msgid"] == plain["msgid"] == "out_of_scope"
    assert told["notes"] == [{"msgid": "language.served"}] and "notes" not in plain
    assert [b["payload"] for b in told["buttons"]] == [
        b["payload"] for b in plain["buttons"]] and len(told["buttons"]) == len(
        catalog.INTENT_TOPICS)
