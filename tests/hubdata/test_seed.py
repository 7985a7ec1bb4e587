"""The sourced seed catalogue and its validation (hubdata.seed)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hubdata import geo, seed
from hubdata.db import transaction
from hubdata.models import Resource, ResourceText
from hubdata.settings import SUPPORTED_LANGUAGES

EMERGE_PARTNERS = (
    "Emerging Crowd",
    "Intel",
    "ITU",
    "Seedstars",
    "Silicon Cape Initiative",
    "Startup Europe",
    "UNICEF Innovation",
    "WITSA",
)
REGIONS = {
    "Africa": ("002",),
    "Latin America": ("419",),
    "Arab States": ("ITU-ARB",),
    "Asia-Pacific": ("142", "009", "ITU-ASP"),
    "Eastern Europe": ("151",),
}
HTTP_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def _of_kind(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["kind"] == kind]


def _in_region(areas: Iterable[str], region_codes: Iterable[str]) -> bool:
    """Whether an area list names the region, a sub-region of it or a country in it."""
    region = frozenset().union(*(geo.countries_in(code) for code in region_codes))
    assert region, region_codes
    for area in areas:
        members = geo.countries_in(str(area))
        if members and members <= region:
            return True
    return False


def _names_partner(organisation: str, partner: str) -> bool:
    words = set(re.findall(r"\w+", organisation.lower()))
    return set(re.findall(r"\w+", partner.lower())) <= words


def test_seed_files_validate(seed_entries: list[dict[str, Any]]) -> None:
    _, errors = seed.load_files(seed.RESOURCE_DIR.glob("*.yml"))
    assert [str(e) for e in errors] == []
    ids = [e["id"] for e in seed_entries]
    assert len(ids) == len(set(ids))


def test_exactly_the_eight_emerge_partners(seed_entries: list[dict[str, Any]]) -> None:
    partners = _of_kind(seed_entries, "partner")
    assert len(partners) == len(EMERGE_PARTNERS)
    for name in EMERGE_PARTNERS:
        matching = [p["id"] for p in partners if _names_partner(p["organisation"], name)]
        assert len(matching) == 1, (name, matching)


def test_funding_spread_over_regions(seed_entries: list[dict[str, Any]]) -> None:
    funding = _of_kind(seed_entries, "funding")
    assert len(funding) >= 30
    counts = {
        region: sum(_in_region(e["areas"], codes) for e in funding)
        for region, codes in REGIONS.items()
    }
    assert all(n >= 4 for n in counts.values()), counts
    assert all(e.get("funding_type") in ("grant", "equity", "loan", "prize") for e in funding)
    assert len(Counter(e["funding_type"] for e in funding)) == 4


def test_region_helper_counts_countries_and_sub_regions() -> None:
    assert _in_region(["KE"], ["002"])
    assert _in_region(["014"], ["002"])
    assert not _in_region(["001"], ["002"])
    assert not _in_region(["419", "FR"], ["002"])
    assert _in_region(["EG"], ["ITU-ARB"])


def test_other_kinds_are_stocked(seed_entries: list[dict[str, Any]]) -> None:
    counts = Counter(e["kind"] for e in seed_entries)
    assert counts["hub"] >= 15
    assert counts["training"] >= 10
    assert counts["event"] >= 5
    assert counts["mentor"] >= 1
    membership = " ".join(
        f"{e['id']} {e['text']['en']['title']} {e['text']['en'].get('description', '')}"
        for e in _of_kind(seed_entries, "membership")
    ).lower()
    assert "sme" in membership
    assert "academia" in membership


def test_events_that_ended_before_they_were_verified_are_retired(
    seed_entries: list[dict[str, Any]],
) -> None:
    for event in _of_kind(seed_entries, "event"):
        end = event.get("ends_on") or event.get("starts_on")
        verified = event.get("verified_on")
        if end and verified and date.fromisoformat(str(end)) < date.fromisoformat(str(verified)):
            assert event["status"] == "retired", event["id"]
    assert any(e["status"] != "retired" for e in _of_kind(seed_entries, "event"))


def test_statuses_are_honest(seed_entries: list[dict[str, Any]]) -> None:
    """Every status is used for what it means: a fact's date is never after its check, and
    the date a fact holds for is not simply the day it was checked."""
    statuses = Counter(e["status"] for e in seed_entries)
    assert set(statuses) <= set(seed.STATUSES) and statuses["current"] > 0
    for entry in seed_entries:
        if entry["status"] == "dated":
            assert seed.as_of_date(entry["as_of"]) < seed.as_of_date(entry["verified_on"]), \
                entry["id"]
    same_day = [e["id"] for e in seed_entries
                if e.get("verified_on") and str(e.get("as_of")) == str(e["verified_on"])]
    assert len(same_day) < len(seed_entries) / 2, same_day


def test_every_entry_is_sourced_and_dated(seed_entries: list[dict[str, Any]]) -> None:
    for entry in seed_entries:
        assert HTTP_URL.match(str(entry.get("url", ""))), entry["id"]
        if entry["status"] == "example":  # no readable source: never claimed as checked
            assert not entry.get("verified_on"), entry["id"]
            continue
        assert HTTP_URL.match(str(entry.get("source_url", ""))), entry["id"]
        verified = date.fromisoformat(str(entry.get("verified_on")))
        assert verified <= date.today(), entry["id"]
        assert seed.as_of_date(entry["as_of"]) <= verified, entry["id"]
        # a real record cites a real page, not a placeholder
        host = entry["source_url"].split("/")[2].lower()
        assert not re.search(r"(^|\.)example\.(org|com|net)$", host), entry["id"]
        assert entry["organisation"].strip(), entry["id"]


def test_every_text_is_translated(seed_entries: list[dict[str, Any]]) -> None:
    """A founder reads every stored text in their language: title, description and amount alike."""
    missing = [
        (entry["id"], lang, field)
        for entry in seed_entries
        for lang in SUPPORTED_LANGUAGES
        for field in ("title", "description", "amount")
        if entry["text"]["en"].get(field) and not entry["text"].get(lang, {}).get(field)
    ]
    assert not missing


async def test_replace_catalogue_loads_and_replaces(
    sessions: sessionmaker, seed_entries: list[dict[str, Any]]
) -> None:
    for _ in range(2):  # loading twice replaces, it does not add
        async with transaction(sessions) as session:
            assert await seed.replace_catalogue(session, seed_entries) == len(seed_entries)
    async with transaction(sessions) as session:
        count = (await session.execute(select(func.count()).select_from(Resource))).scalar()
        texts = (await session.execute(select(func.count()).select_from(ResourceText))).scalar()
        assert count == len(seed_entries)
        assert texts == sum(len(e["text"]) for e in seed_entries)
        some = seed_entries[0]
        row = await session.get(Resource, some["id"])
        assert row is not None
        assert row.areas == [str(a) for a in some["areas"]]
        assert row.text("en").title == some["text"]["en"]["title"]
    async with transaction(sessions) as session:
        await seed.replace_catalogue(session, seed_entries[:3])
    async with transaction(sessions) as session:
        count = (await session.execute(select(func.count()).select_from(Resource))).scalar()
        assert count == 3


def test_to_resource_defaults() -> None:
    entry = {k: v for k, v in _good("defaults").items()
             if k not in ("sectors", "stages", "languages")}
    entry["text"] = {"en": {"title": "T", "description": "English description"},
                     "fr": {"title": "F"}}
    assert seed.validate(entry, "here") == []
    row = seed.to_resource(entry)
    assert row.sectors == ["any"] and row.stages == ["any"] and row.languages == ["en"]
    assert row.verified_on == date(2026, 11, 1)
    assert row.is_example is False and row.status == "current"
    assert row.as_of == date(2026, 10, 1) and row.as_of_text == "2026-10"
    by_lang = {t.lang: t for t in row.texts}
    assert by_lang["fr"].description == by_lang["en"].description == "English description"


# ------------------------------------------------------------------ validation errors


def _good(rid: str) -> dict[str, Any]:
    return {
        "id": rid,
        "kind": "funding",
        "funding_type": "grant",
        "organisation": "Org",
        "areas": ["KE", "002", "ITU-ARB"],
        "sectors": ["agritech"],
        "stages": ["idea"],
        "languages": ["en", "fr"],
        "url": "https://example.org/x",
        "source_url": "https://example.org/source",
        "status": "current",
        "as_of": "2026-10",
        "verified_on": "2026-11-01",
        "text": {"en": {"title": "Title", "description": "English description"}},
    }


def _write(tmp_path: Path, name: str, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def test_good_entry_has_no_errors() -> None:
    assert seed.validate(_good("fine-entry"), "here") == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "newsletter"}, "kind", "must be one of"),
        ({"areas": ["KE", "XQ"]}, "areas", "XQ"),
        ({"areas": ["999"]}, "areas", "999"),
        ({"areas": []}, "areas", "is required"),
        ({"url": "ftp://example.org/x"}, "url", "http(s)"),
        ({"source_url": "example.org/source"}, "source_url", "http(s)"),
        ({"source_url": None}, "source_url", "is required"),
        ({"verified_on": "2026-02-30"}, "verified_on", "ISO date"),
        ({"starts_on": "next spring"}, "starts_on", "ISO date"),
        ({"verified_on": None}, "verified_on", "is required"),
        ({"text": {"fr": {"title": "Titre"}}}, "text", "English"),
        ({"text": {"en": {"description": "no title"}}}, "text.en", "title"),
        ({"text": {"en": {"title": "T"}, "de": {"title": "D"}}}, "text", "'de'"),
        ({"funding_type": "gift"}, "funding_type", "must be one of"),
        ({"sectors": ["space"]}, "sectors", "space"),
        ({"stages": ["unicorn"]}, "stages", "unicorn"),
        ({"languages": ["any"]}, "languages", "any"),
        ({"id": "Not A Slug"}, "id", "slug"),
        ({"organisation": ""}, "organisation", "is required"),
        ({"status": "stale"}, "status", "must be one of"),
        ({"status": None}, "status", "is required"),
        ({"as_of": None}, "as_of", "is required"),
        ({"as_of": "last year"}, "as_of", "year"),
        ({"as_of": "2026-12-01"}, "as_of", "after verified_on"),
        ({"status": "dated", "verified_on": None}, "verified_on", "is required"),
        ({"opens_on": "2027-03-01", "deadline": "2027-02-01"}, "deadline", "before opens_on"),
        ({"starts_on": "2027-03-02", "ends_on": "2027-03-01"}, "ends_on", "before starts_on"),
        ({"deadline": "1 March"}, "deadline", "ISO date"),
        ({"amount_max": {"value": 5000, "currency": "XYZ"}}, "amount_max", "currency"),
        ({"amount_max": {"value": -1, "currency": "USD"}}, "amount_max", "positive"),
        ({"amount_max": "5000 USD"}, "amount_max", "must be"),
        ({"review_months": 0}, "review_months", "1 to 60"),
        ({"review_months": "often"}, "review_months", "1 to 60"),
        ({"amount": "USD 5,000"}, "amount", "text.<lang>.amount"),
        ({"text": {"en": {"title": "T", "summary": "x"}}}, "text.en", "unknown field"),
        ({"kind": "faq"}, "topic", "must be one of"),
    ],
)
def test_validate_reports_field(change: dict[str, Any], field: str, message: str) -> None:
    errors = seed.validate(_good("bad-entry") | change, "file.yml entry 3 (bad-entry)")
    assert errors, change
    assert all(e.where == "file.yml entry 3 (bad-entry)" for e in errors)
    assert any(e.field == field and message in e.message for e in errors), [
        str(e) for e in errors
    ]


def test_load_files_reports_each_bad_entry_by_position_and_id(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.yml", [
        _good("fine-one"),
        _good("bad-kind") | {"kind": "newsletter"},
        _good("bad-area") | {"areas": ["ZZZ"]},
    ])
    second = _write(tmp_path, "b.yml", [
        _good("bad-url") | {"url": "not a url"},
        _good("bad-date") | {"verified_on": "30/11/2026"},
        _good("no-english") | {"text": {"fr": {"title": "Titre"}}},
        _good("fine-one"),
    ])
    entries, errors = seed.load_files([second, first])
    assert len(entries) == 7
    found = {(e.where, e.field) for e in errors}
    assert found == {
        ("a.yml entry 2 (bad-kind)", "kind"),
        ("a.yml entry 3 (bad-area)", "areas"),
        ("b.yml entry 1 (bad-url)", "url"),
        ("b.yml entry 2 (bad-date)", "verified_on"),
        ("b.yml entry 3 (no-english)", "text"),
        ("b.yml entry 4 (fine-one)", "id"),
    }
    duplicate = next(e for e in errors if e.field == "id")
    assert "a.yml entry 1 (fine-one)" in duplicate.message
    assert str(duplicate).startswith("b.yml entry 4 (fine-one): id: duplicate")


def test_empty_file_loads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert seed.load_files([path]) == ([], [])


def test_unquoted_impossible_date_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "dates.yml"
    path.write_text(
        """- id: bad-yaml-date
  kind: hub
  organisation: Org
  areas: [KE]
  url: https://example.org/x
  source_url: https://example.org/src
  status: current
  as_of: 2026
  verified_on: 2026-02-30
  text: {en: {title: T}}
""",
        encoding="utf-8",
    )
    _, errors = seed.load_files([path])
    assert [(e.where, e.field) for e in errors] == [
        ("dates.yml entry 1 (bad-yaml-date)", "verified_on")
    ]
