"""ActionSearchResources: asking for the missing filters, follow-ups, results and none."""

from __future__ import annotations

import pytest
from rasa_sdk import Action
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from actions.fallback import ActionHandleFallback
from actions.search import ActionSearchResources
from hubdata import catalog, founders, geo, searches
from hubdata.db import transaction
from hubdata.models import SECTORS, Search
from tests.actions.harness import USER, entity, payload, run, slot_events, stored_founder, tracker


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


async def test_a_catalogue_edit_shows_in_the_next_search(small: sessionmaker) -> None:
    """The actions cache the catalogue; staff's edits (committed elsewhere) show at once."""
    from hubdata.models import Resource

    question = tracker("hubs in Kenya", "ask_hubs", [entity("country", "KE", "Kenya", 8)])
    messages, _ = await run(ActionSearchResources(), question)
    assert messages[-1]["msgid"] == "results.found" and messages[-1]["params"]["count"] == 1
    async with transaction(small) as session:
        (await session.get(Resource, "kenya-hub")).status = "retired"
    messages, _ = await run(ActionSearchResources(), question)
    assert messages[-1]["msgid"] == "results.none"
    async with transaction(small) as session:
        hub = await session.get(Resource, "kenya-hub")
        hub.status, hub.areas = "current", ["002"]
    messages, _ = await run(ActionSearchResources(), question)
    assert messages[-1]["msgid"] == "results.found"
    async with transaction(small) as session:
        search = await searches.get(session, messages[-1]["search_id"])
        assert search.result_ids == ["kenya-hub"] and search.supply == "ok"
