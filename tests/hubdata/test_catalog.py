"""Ranking and filtering of the resource catalogue (hubdata.catalog)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from hubdata import catalog, geo, seed
from hubdata.catalog import Query
from hubdata.db import transaction
from hubdata.models import Resource, ResourceText

TODAY = date(2026, 11, 30)


def resource(rid: str, kind: str = "funding", **fields: Any) -> Resource:
    """A catalogue row with sensible defaults and an English text."""
    values: dict[str, Any] = {
        "kind": kind,
        "funding_type": "grant" if kind == "funding" else None,
        "organisation": f"Org {rid}",
        "areas": ["001"],
        "sectors": ["any"],
        "stages": ["any"],
        "languages": ["en"],
        "url": f"https://example.org/{rid}",
        "source_url": f"https://example.org/source/{rid}",
        "verified_on": date(2026, 11, 1),
        "status": "current",
    }
    values.update(fields)
    row = Resource(id=rid, **values)
    row.texts.append(ResourceText(lang="en", title=f"Title {rid}", description="Text"))
    return row


async def add(sessions: sessionmaker, *rows: Resource) -> None:
    async with transaction(sessions) as session:
        session.add_all(rows)


async def find_ids(sessions: sessionmaker, query: Query, today: date = TODAY) -> list[str]:
    async with transaction(sessions) as session:
        return [r.id for r in await catalog.find(session, query, today)]


async def test_closer_area_ranks_higher_and_other_continents_never_match(
    sessions: sessionmaker,
) -> None:
    await add(
        sessions,
        resource("world", areas=["001"]),
        resource("latam", areas=["419"]),
        resource("africa", areas=["002"]),
        resource("kenya", areas=["KE"]),
        resource("east-africa", areas=["014"]),
        resource("arab-states", areas=["ITU-ARB"]),
    )
    ids = await find_ids(sessions, Query(topic="funding", country="KE"))
    assert ids == ["kenya", "east-africa", "africa", "world"]


async def test_named_group_matches_its_members_only(sessions: sessionmaker) -> None:
    await add(sessions, resource("arab-states", areas=["ITU-ARB"]))
    assert await find_ids(sessions, Query(topic="funding", country="EG")) == ["arab-states"]
    assert await find_ids(sessions, Query(topic="funding", country="KE")) == []


async def test_no_country_matches_every_area(sessions: sessionmaker) -> None:
    await add(sessions, resource("latam", areas=["419"]), resource("kenya", areas=["KE"]))
    assert sorted(await find_ids(sessions, Query(topic="funding"))) == ["kenya", "latam"]


async def test_topic_selects_the_kind(sessions: sessionmaker) -> None:
    await add(sessions, resource("grant"), resource("hub", kind="hub"),
              resource("event", kind="event"))
    assert await find_ids(sessions, Query(topic="hubs")) == ["hub"]
    assert await find_ids(sessions, Query(topic="events")) == ["event"]
    assert await find_ids(sessions, Query(topic="mentor")) == []


async def test_funding_type_filters(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("a-grant", funding_type="grant"),
        resource("an-equity", funding_type="equity"),
        resource("a-loan", funding_type="loan"),
    )
    assert await find_ids(sessions, Query(topic="funding", funding_type="equity")) == [
        "an-equity"
    ]
    assert await find_ids(sessions, Query(topic="funding", funding_type="prize")) == []
    unfiltered = await find_ids(sessions, Query(topic="funding"))
    assert sorted(unfiltered) == ["a-grant", "a-loan", "an-equity"]


async def test_exact_sector_beats_any_and_other_sectors_are_excluded(
    sessions: sessionmaker,
) -> None:
    await add(
        sessions,
        resource("any-sector", sectors=["any"]),
        resource("fintech-only", sectors=["fintech"]),
        resource("agritech", sectors=["agritech", "cleantech"]),
        resource("no-sectors", sectors=[]),
    )
    ids = await find_ids(sessions, Query(topic="funding", sector="agritech"))
    assert ids[0] == "agritech"
    assert sorted(ids[1:]) == ["any-sector", "no-sectors"]
    everything = await find_ids(sessions, Query(topic="funding"))
    assert "fintech-only" in everything and len(everything) == 4


async def test_area_outweighs_sector_fit(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("world-agritech", areas=["001"], sectors=["agritech"]),
        resource("kenya-any", areas=["KE"], sectors=["any"]),
    )
    ids = await find_ids(sessions, Query(topic="funding", country="KE", sector="agritech"))
    assert ids == ["kenya-any", "world-agritech"]


async def test_past_events_are_offered_only_when_past_editions_are_asked_for(
    sessions: sessionmaker,
) -> None:
    await add(
        sessions,
        resource("past", kind="event", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 3)),
        resource("upcoming", kind="event", starts_on=date(2027, 3, 1),
                 ends_on=date(2027, 3, 3)),
        resource("undated", kind="event"),
        resource("ends-today", kind="event", starts_on=date(2026, 11, 28), ends_on=TODAY,
                 verified_on=date(2026, 1, 1)),
        resource("started-long-ago-no-end", kind="event", starts_on=date(2025, 1, 1)),
        resource("retired-upcoming", kind="event", status="retired",
                 starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 2)),
    )
    # upcoming: the soonest first, the undated last
    assert await find_ids(sessions, Query(topic="events")) == ["ends-today", "upcoming",
                                                               "undated"]
    past = await find_ids(sessions, Query(topic="events", past_editions=True))
    assert past[:3] == ["ends-today", "upcoming", "undated"]
    assert past[3:] == ["past", "started-long-ago-no-end"]  # the most recent first


async def test_a_controlled_clock_closes_calls_and_ends_events(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("call", opens_on=date(2026, 10, 1), deadline=date(2027, 3, 1)),
        resource("no-deadline"),
        resource("summit", kind="event", starts_on=date(2027, 2, 1), ends_on=date(2027, 2, 3)),
    )
    funding, events = Query(topic="funding"), Query(topic="events")
    assert "call" in await find_ids(sessions, funding, date(2027, 3, 1))  # closes that day
    assert await find_ids(sessions, funding, date(2027, 3, 2)) == ["no-deadline"]
    assert await find_ids(sessions, events, date(2027, 2, 3)) == ["summit"]
    assert await find_ids(sessions, events, date(2027, 2, 4)) == []
    # a closed call stays closed even when past editions of events are asked for
    assert await find_ids(sessions, Query(topic="funding", past_editions=True),
                          date(2027, 3, 2)) == ["no-deadline"]


async def test_current_ranks_before_dated_before_example(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("aaa-example", status="example", verified_on=None, source_url=None),
        resource("bbb-dated", status="dated", areas=["KE"]),  # a closer area does not win
        resource("ccc-current", status="current"),
        resource("ddd-retired", status="retired"),
    )
    assert await find_ids(sessions, Query(topic="funding", country="KE")) == [
        "ccc-current", "bbb-dated", "aaa-example"]


def test_supply_tells_weak_answers_from_good_ones() -> None:
    assert catalog.supply([]) == "none"
    assert catalog.supply([resource("d", status="dated"), resource("e", status="example")]) \
        == "weak"
    assert catalog.supply([resource("d", status="dated"), resource("c")]) == "ok"


@pytest.mark.parametrize(("text", "past"), [
    ("what events are coming up?", False), ("past editions of GITEX", True),
    ("les événements passés", True), ("eventos anteriores", True),
    ("الفعاليات السابقة", True), ("прошлые мероприятия", True), ("往届活动", True),
    ("eventos passados", True), ("upcoming events in Kenya", False),
])
def test_questions_about_past_editions_are_recognised(text: str, past: bool) -> None:
    assert catalog.asks_past_editions(text) is past


async def test_examples_rank_below_real_records(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("aaa-example", status="example", verified_on=date(2026, 11, 29)),
        resource("zzz-real", status="current", verified_on=date(2026, 1, 1)),
    )
    assert await find_ids(sessions, Query(topic="funding")) == ["zzz-real", "aaa-example"]


async def test_founder_language_and_stage_break_ties(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("aaa-english", languages=["en"], stages=["growth"]),
        resource("zzz-french", languages=["en", "fr"], stages=["idea"]),
    )
    assert await find_ids(sessions, Query(topic="funding", language="fr")) == [
        "zzz-french", "aaa-english"
    ]
    assert await find_ids(sessions, Query(topic="funding", stage="growth")) == [
        "aaa-english", "zzz-french"
    ]


async def test_ties_go_to_the_most_recently_verified_then_id(sessions: sessionmaker) -> None:
    await add(
        sessions,
        resource("b-old", verified_on=date(2025, 1, 1)),
        resource("c-new", verified_on=date(2026, 6, 1)),
        resource("a-old", verified_on=date(2025, 1, 1)),
    )
    assert await find_ids(sessions, Query(topic="funding")) == ["c-new", "a-old", "b-old"]


async def test_get_many_keeps_order_and_skips_missing(sessions: sessionmaker) -> None:
    await add(sessions, resource("one"), resource("two"), resource("three"))
    async with transaction(sessions) as session:
        rows = await catalog.get_many(session, ["three", "gone", "one"])
        assert [r.id for r in rows] == ["three", "one"]
        assert await catalog.get_many(session, []) == []
        assert (await catalog.get(session, "two")).id == "two"
        with pytest.raises(catalog.ResourceNotFound):
            await catalog.get(session, "gone")


async def test_text_falls_back_to_english(sessions: sessionmaker) -> None:
    row = resource("bilingual")
    row.texts.append(ResourceText(lang="fr", title="Titre", description="Texte"))
    await add(sessions, row)
    async with transaction(sessions) as session:
        loaded = await catalog.get(session, "bilingual")
        assert loaded.text("fr").title == "Titre"
        assert loaded.text("ar").title == "Title bilingual"


async def test_area_codes_accepted_by_validation_match_in_searches(
    sessions: sessionmaker, tmp_path
) -> None:
    path = tmp_path / "unquoted.yml"
    path.write_text(
        "\n".join(
            f"""- id: {rid}
  kind: funding
  funding_type: grant
  organisation: Org
  areas: [{areas}]
  url: https://example.org/{rid}
  source_url: https://example.org/src
  status: current
  as_of: 2026
  verified_on: 2026-11-01
  text: {{en: {{title: T}}}}"""
            for rid, areas in (("unquoted-africa", "002"), ("unquoted-world", "001"),
                               ("lower-case-kenya", "ke"))
        ),
        encoding="utf-8",
    )
    entries, errors = seed.load_files([path])
    assert errors == []
    async with transaction(sessions) as session:
        await seed.replace_catalogue(session, entries)
    assert sorted(await find_ids(sessions, Query(topic="funding", country="KE"))) == [
        "lower-case-kenya", "unquoted-africa", "unquoted-world"
    ]


async def test_seed_agritech_grants_in_kenya_apply_to_kenya(seeded: sessionmaker) -> None:
    query = Query(topic="funding", country="KE", sector="agritech", funding_type="grant")
    async with transaction(seeded) as session:
        results = await catalog.find(session, query)
    kenya = geo.areas_for_country("KE")
    assert len(results) >= 3
    for r in results:
        assert r.kind == "funding" and r.funding_type == "grant", r.id
        assert set(r.areas) & kenya, r.id
        assert "agritech" in r.sectors or "any" in r.sectors or not r.sectors, r.id
    ids = [r.id for r in results]
    # a Chilean or Indian grant is not there, nor an Africa-wide one whose call has closed
    # (the Tony Elumelu 2026 call closed on 1 March 2026)
    assert "tony-elumelu-entrepreneurship-programme" not in ids
    assert "start-up-chile-build" not in ids and "startup-india-seed-fund-scheme" not in ids
    # records aimed at Kenya or a region containing it all come before worldwide ones
    specific = [bool((set(r.areas) & kenya) - {"001"}) for r in results]
    assert specific == sorted(specific, reverse=True)
    assert specific[0] and not specific[-1]


async def test_seed_every_topic_has_results_for_a_founder_in_kenya(seeded: sessionmaker) -> None:
    async with transaction(seeded) as session:
        for topic in catalog.TOPIC_KINDS:
            results = await catalog.find(session, Query(topic=topic, country="KE"))
            assert results, topic
            assert {r.kind for r in results} == {catalog.TOPIC_KINDS[topic]}


# ------------------------------------------------------------------ the cached catalogue
async def entry_ids(sessions: sessionmaker, query: Query, today: date = TODAY) -> list[str]:
    async with transaction(sessions) as session:
        return [e.id for e in await catalog.find_entries(session, query, today)]


async def test_cached_search_ranks_as_find_does(seeded: sessionmaker) -> None:
    queries = [Query(topic=topic, country=country, sector=sector, language=lang, stage="early")
               for topic in catalog.TOPIC_KINDS
               for country in (None, "KE", "SN", "BR", "IN")
               for sector in (None, "fintech", "agritech")
               for lang in ("en", "fr")]
    queries += [Query(topic="funding", country="KE", funding_type="grant"),
                Query(topic="events", past_editions=True),
                Query(topic="events", country="RW", past_editions=True)]
    for query in queries:
        for today in (TODAY, date(2027, 6, 1)):
            expected = await find_ids(seeded, query, today)
            assert await entry_ids(seeded, query, today) == expected, query
            assert await entry_ids(seeded, query, today) == expected, query  # from the cache
    async with transaction(seeded) as session:
        query = Query(topic="funding", country="KE")
        assert (catalog.supply(await catalog.find_entries(session, query, TODAY))
                == catalog.supply(await catalog.find(session, query, TODAY)))


async def test_cached_search_sees_every_change_committed_elsewhere(
    sessions: sessionmaker, database_url: str
) -> None:
    """Another process (its own engine) edits, adds, retires, replaces and deletes entries:
    each change shows in the very next search, never the cached results."""
    from emergebot.catalogue_store import upsert
    from hubdata.db import make_engine, make_session_factory

    await add(sessions, resource("one", areas=["KE"]), resource("two", areas=["001"]))
    kenya = Query(topic="funding", country="KE")
    assert await entry_ids(sessions, kenya) == ["one", "two"]
    other_engine = make_engine(database_url)
    other = make_session_factory(other_engine)
    try:
        async with transaction(other) as session:  # an edit: "one" now targets Uganda only
            (await session.get(Resource, "one")).areas = ["UG"]
        assert await entry_ids(sessions, kenya) == ["two"]
        async with transaction(other) as session:  # a new entry
            session.add(resource("three", areas=["014"]))
        assert await entry_ids(sessions, kenya) == ["three", "two"]
        async with transaction(other) as session:  # retired
            (await session.get(Resource, "three")).status = "retired"
        assert await entry_ids(sessions, kenya) == ["two"]
        # an import replaces "one" by a new row (version 1 again) aimed at Kenya
        entry = seed.to_entry(resource("one", areas=["KE"]))
        async with transaction(other) as session:
            await upsert(session, [entry])
        assert await entry_ids(sessions, kenya) == ["one", "two"]
        async with transaction(other) as session:  # deleted
            await session.delete(await session.get(Resource, "two"))
        assert await entry_ids(sessions, kenya) == ["one"]
        async with transaction(other) as session:  # the whole catalogue replaced
            await seed.replace_catalogue(session, [seed.to_entry(resource("four"))])
        assert await entry_ids(sessions, kenya) == ["four"]
    finally:
        await other_engine.dispose()


async def test_a_change_in_the_same_transaction_is_seen(sessions: sessionmaker) -> None:
    await add(sessions, resource("one", areas=["KE"]))
    kenya = Query(topic="funding", country="KE")
    assert await entry_ids(sessions, kenya) == ["one"]
    async with transaction(sessions) as session:
        (await session.get(Resource, "one")).deadline = date(2026, 1, 1)  # closed
        await session.flush()
        assert [e.id for e in await catalog.find_entries(session, kenya, TODAY)] == []
