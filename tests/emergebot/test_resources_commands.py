"""``resources import|export|stale``: whole files or nothing, errors by row and column."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emergebot.catalogue_files import CSV_COLUMNS
from emergebot.catalogue_store import months_before
from hubdata import seed
from hubdata.db import create_schema, make_engine, make_session_factory, transaction
from hubdata.models import Resource
from hubdata.settings import PROJECT_ROOT
from tests.emergebot.conftest import EMERGEBOT, cli_env


async def _seed_db(url: str, entries: list) -> None:
    engine = make_engine(url)
    await create_schema(engine)
    async with transaction(make_session_factory(engine)) as session:
        await seed.replace_catalogue(session, entries)
    await engine.dispose()


async def _count_and_get(url: str, resource_id: str) -> tuple[int, Resource | None]:
    engine = make_engine(url)
    async with transaction(make_session_factory(engine)) as session:
        count = (await session.execute(select(func.count()).select_from(Resource))).scalar()
        resource = await session.get(Resource, resource_id)
    await engine.dispose()
    return int(count or 0), resource


@pytest.fixture
def var(tmp_path: Path, seed_entries: list) -> Path:
    """A var/ whose database holds the real seed catalogue."""
    asyncio.run(_seed_db(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", seed_entries))
    return tmp_path


def _run(var: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EMERGEBOT, "resources", *args], env=cli_env(var), cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def _state(var: Path, resource_id: str) -> tuple[int, Resource | None]:
    return asyncio.run(_count_and_get(f"sqlite+aiosqlite:///{var / 'bot.db'}", resource_id))


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


GOOD = {"id": "nairobi-agritech-grant", "kind": "funding", "funding_type": "grant",
        "organisation": "Example Fund", "areas": "KE;014", "sectors": "agritech",
        "stages": "idea;early", "languages": "en;fr", "url": "https://example.org/grant",
        "source_url": "https://example.org/grant/call", "verified_on": "2026-11-01",
        "status": "dated", "as_of": "2024", "opens_on": "2026-10-01", "deadline": "2027-03-01",
        "review_months": "6", "amount_max_value": "10000", "amount_max_currency": "USD",
        "title_en": "Agritech seed grant", "description_en": "Seed money.",
        "amount_en": "Up to US$10,000 (2024 call)", "title_fr": "Subvention agritech",
        "amount_fr": "Jusqu'à 10 000 $US (appel 2024)"}


def test_import_with_bad_rows_reports_each_and_imports_nothing(var: Path) -> None:
    count, _ = _state(var, GOOD["id"])
    bad = [GOOD,
           {**GOOD, "id": "bad-one", "areas": "KE;XX", "url": "ftp://nope", "verified_on":
            "30/11/2026"},
           {**GOOD, "id": "Bad Id", "kind": "shop", "languages": "en;de", "status": "maybe",
            "title_en": "", "deadline": "2026-09-01"},
           {**GOOD}]  # duplicate id
    path = var / "new.csv"
    path.write_text(_csv(bad), encoding="utf-8")
    result = _run(var, "import", str(path))
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    for expected in (
        "new.csv row 3, column areas: unknown country or region code 'XX'",
        "new.csv row 3, column url: is not an http(s) URL",
        "new.csv row 3, column verified_on: is not an ISO date (YYYY-MM-DD)",
        "new.csv row 4, column status: must be one of current, dated, example, retired",
        "new.csv row 4, column deadline: is before opens_on",
        "new.csv row 4, column id: must be a slug of a-z, 0-9 and '-'",
        "new.csv row 4, column kind: must be one of funding, mentor, hub, event, training, "
        "partner, membership, faq",
        "new.csv row 4, column languages: unknown value 'de'",
        "new.csv row 4, column title_en: needs a title",
        "new.csv row 5, column id: duplicate of new.csv row 2",
    ):
        assert expected in errors, result.stderr
    assert errors[-1] == f"10 error(s) in {path}: nothing was imported"
    assert [e.split(",")[0] for e in errors[:-1]] == sorted(e.split(",")[0] for e in errors[:-1])
    assert _state(var, GOOD["id"]) == (count, None)  # the good row was not imported either


def test_yaml_errors_name_the_entry_and_its_line(var: Path) -> None:
    path = var / "new.yml"
    path.write_text("- id: ok-entry\n  kind: hub\n  organisation: X\n  areas: ['002']\n"
                    "  url: https://x.org\n  source_url: https://x.org/a\n  status: current\n"
                    "  as_of: 2025\n  verified_on: 2026-01-01\n  text: {en: {title: X}}\n"
                    "- id: no-source\n  kind: hub\n  organisation: Y\n  areas: [KE]\n"
                    "  url: https://y.org\n  status: current\n  as_of: 2025-06\n"
                    "  verified_on: 2026-02-30\n  text: {en: {title: Y}}\n",
                    encoding="utf-8")
    result = _run(var, "import", str(path))
    assert result.returncode == 1
    assert "new.yml entry 2 (line 11), column source_url: is required" in result.stderr
    assert "new.yml entry 2 (line 11), column verified_on: is not an ISO date" in result.stderr
    assert _state(var, "ok-entry")[1] is None


def test_import_adds_and_replaces_then_export_round_trips(var: Path) -> None:
    count, _ = _state(var, GOOD["id"])
    path = var / "new.csv"
    path.write_text(_csv([GOOD]), encoding="utf-8")
    assert _run(var, "import", str(path), "--check").stdout.startswith("1 valid entries")
    assert _state(var, GOOD["id"])[1] is None
    result = _run(var, "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 new, 0 replaced" in result.stdout
    new_count, resource = _state(var, GOOD["id"])
    assert new_count == count + 1 and resource is not None
    assert resource.areas == ["KE", "014"] and resource.status == "dated"
    assert (resource.as_of, resource.deadline, resource.review_months) == (
        date(2024, 1, 1), date(2027, 3, 1), 6)
    assert (resource.amount_value, resource.amount_currency) == (10000, "USD")
    assert {t.lang: (t.title, t.amount) for t in resource.texts} == {
        "en": ("Agritech seed grant", "Up to US$10,000 (2024 call)"),
        "fr": ("Subvention agritech", "Jusqu'à 10 000 $US (appel 2024)")}
    for fmt in ("yaml", "csv"):
        exported = var / f"all.{'yml' if fmt == 'yaml' else fmt}"
        assert _run(var, "export", "--format", fmt, "--out", str(exported)).returncode == 0
        again = _run(var, "import", str(exported))
        assert again.returncode == 0, again.stderr[-2000:]
        assert f"0 new, {count + 1} replaced" in again.stdout
    assert _run(var, "export").stdout == exported.with_suffix(".yml").read_text(encoding="utf-8")


def test_stale_lists_entries_verified_long_ago(var: Path) -> None:
    old = {**GOOD, "id": "old-call", "verified_on": "2019-03-01", "as_of": "2019",
           "opens_on": "", "deadline": ""}
    path = var / "old.csv"
    path.write_text(_csv([old]), encoding="utf-8")
    assert _run(var, "import", str(path)).returncode == 0
    result = _run(var, "stale", "--months", "24")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    dated = [line for line in lines if not line.startswith("never")]  # unverified come first
    assert dated[0].startswith("2019-03-01") and "old-call" in dated[0]
    assert all("2026-" not in line for line in lines)
    assert all(lines.index(n) < lines.index(dated[0]) for n in lines if n.startswith("never"))


def test_gaps_lists_what_founders_did_not_find(var: Path) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{var / 'bot.db'}")
    with engine.begin() as connection:
        for user in (1, 2):
            connection.execute(text(
                "insert into searches (user_id, topic, filters, result_ids, supply, created_at)"
                " values (:u, 'funding', :f, '[]', 'none', CURRENT_TIMESTAMP)"),
                {"u": user, "f": '{"topic": "funding", "country": "UG", "sector": "agritech"}'})
    engine.dispose()
    result = _run(var, "gaps", "--weeks", "4")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "country=UG" in line)
    assert row.split()[:4] == ["2", "2", "2", "0"] and "sector=agritech" in row
    assert "funding" in row and "█" in row


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    assert months_before(date(2024, 3, 30), 1) == date(2024, 2, 29)
