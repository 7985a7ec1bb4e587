"""Queries over the resource catalogue: find and rank what fits a founder's question."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import geo, lifecycle
from hubdata.models import Resource, ResourceText
from hubdata.text import fold

TOPIC_KINDS: dict[str, str] = {
    "funding": "funding",
    "mentor": "mentor",
    "membership": "membership",
    "events": "event",
    "partnership": "partner",
    "hubs": "hub",
    "training": "training",
}
INTENT_TOPICS: dict[str, str] = {
    "ask_funding": "funding",
    "ask_mentor": "mentor",
    "ask_membership": "membership",
    "ask_events": "events",
    "ask_partnership": "partnership",
    "ask_hubs": "hubs",
    "ask_training": "training",
}
WORLD = "001"
# Words that ask about earlier editions of events, in the seven languages (folded).
_PAST_WORDS = re.compile(
    r"\b(past|previous|earlier|last year|last edition|former|passe|passes|passee|precedent"
    r"|precedente|derniere edition|anterior|anteriores|pasado|pasados|pasada|ultima edicion"
    r"|passado|passados|anos anteriores|edicoes anteriores|прошл\w*|предыдущ\w*|минувш\w*"
    r"|السابق\w*|الماضي\w*|الفائت\w*)\b"
    r"|往届|过去|以前|上一届|去年", re.UNICODE)


class ResourceNotFound(LookupError):
    """No resource has the requested id."""


@dataclass(frozen=True)
class Query:
    """What a founder asked for. Empty fields do not filter."""

    topic: str
    country: str | None = None
    sector: str | None = None
    funding_type: str | None = None
    stage: str | None = None
    language: str | None = None
    past_editions: bool = False  # events: the founder asked about earlier editions


def _area_score(resource: Resource, country: str | None) -> float | None:
    """How specifically ``resource`` targets ``country``; None when it does not apply there."""
    areas = set(resource.areas or [])
    if not country:
        return 1.0
    if country in areas:
        return 4.0
    wanted = geo.areas_for_country(country)
    shared = areas & wanted
    if not shared:
        return None
    if shared == {WORLD}:
        return 1.0
    # A sub-region beats a continent: fewer countries means a closer fit.
    return 2.0 + 1.0 / (1 + min(len(geo.countries_in(code)) for code in shared - {WORLD}))


def _list_score(values: Sequence[str] | None, wanted: str | None) -> float | None:
    values = list(values or [])
    if not wanted:
        return 0.0
    if wanted in values:
        return 2.0
    if "any" in values or not values:
        return 1.0
    return None


def score(resource: Resource, query: Query, today: date) -> float | None:
    """Rank ``resource`` for ``query``; None when it does not match at all."""
    if resource.kind != TOPIC_KINDS[query.topic]:
        return None
    if query.funding_type and resource.funding_type != query.funding_type:
        return None
    area = _area_score(resource, query.country)
    if area is None:
        return None
    sector = _list_score(resource.sectors, query.sector)
    if sector is None:
        return None
    stage = _list_score(resource.stages, query.stage)
    total = area * 2 + sector + (stage or 0.0) * 0.5
    if query.language and query.language in (resource.languages or []):
        total += 0.5
    return total


def asks_past_editions(text: str) -> bool:
    """Whether a question about events asks about earlier editions ("last year's summit")."""
    return bool(_PAST_WORDS.search(fold(text)))


def is_past(resource: Resource, today: date) -> bool:
    """Whether an event has already ended or a call's deadline has passed."""
    return lifecycle.is_over(resource, today)


def supply(results: Sequence[Resource] | Sequence[Entry]) -> str:
    """What a search found: "none", "weak" (only dated or example entries) or "ok"."""
    if not results:
        return "none"
    return "ok" if any(r.status == "current" for r in results) else "weak"


async def find(session: AsyncSession, query: Query, today: date | None = None) -> list[Resource]:
    """Return the resources that match ``query`` and may be offered today, best first.

    Retired entries, closed calls and (unless ``query.past_editions``) past events are left out.
    Past editions come after upcoming ones; then ``current`` before ``dated`` before ``example``,
    best score, soonest deadline or start, most recently verified, id.
    """
    today = today or date.today()
    kind = TOPIC_KINDS[query.topic]
    rows = (await session.execute(
        select(Resource).where(Resource.kind == kind, Resource.status != "retired"))).scalars()
    return rank(rows, query, today)


def rank(rows: Iterable[Any], query: Query, today: date) -> list[Any]:
    """The rows (resources, or ``Entry`` copies of them) that match ``query`` and may be
    offered ``today``, best first: the ranking of ``find``."""
    ranked = [(s, r) for r in rows
              if lifecycle.is_offered(r, today, query.past_editions)
              and (s := score(r, query, today)) is not None]
    ranked.sort(key=lambda pair: _order(pair[1], pair[0], today))
    return [r for _, r in ranked]


def _order(resource: Resource, points: float, today: date) -> tuple[object, ...]:
    past = is_past(resource, today)
    # Upcoming: the soonest first; past editions: the most recent first.
    end = (lifecycle.last_day(resource) or date.max).toordinal()
    verified = resource.verified_on.toordinal() if resource.verified_on else 0
    return (past, lifecycle.rank_key(resource), -points, -end if past else end, -verified,
            resource.id)


async def get_many(session: AsyncSession, ids: Sequence[str]) -> list[Resource]:
    """Return the resources with ``ids`` in that order, skipping ids that no longer exist."""
    if not ids:
        return []
    rows = (await session.execute(select(Resource).where(Resource.id.in_(list(ids))))).scalars()
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def get(session: AsyncSession, resource_id: str) -> Resource:
    """Return one resource or raise ResourceNotFound."""
    resource = await session.get(Resource, resource_id)
    if resource is None:
        raise ResourceNotFound(resource_id)
    return resource


# ------------------------------------------------------------------ the cached catalogue
# The action server answers every topic question from the catalogue, which changes rarely (staff
# edit it from the console or import files, from other processes). Instead of loading every
# entry of a kind as ORM objects on every question, it keeps plain copies of the columns that
# searches read, and the results of recent searches, for one state of the catalogue: a cheap
# aggregate query (``fingerprint``) tells, in the caller's transaction, whether that state is
# still the committed one. Any committed change moves it: an edit moves the row's ``version``
# (SQLAlchemy's version counter, on every UPDATE of the row; the catalogue desk touches the row
# for text-only edits too) and ``updated_at``; an added or deleted entry moves the count; an
# import replaces rows with new ones (new ``updated_at``); texts added or removed move their
# count. The copies are read only after the fingerprint, so they are never older than it.
ENTRY_FIELDS = ("id", "kind", "funding_type", "topic", "areas", "sectors", "stages",
                "languages", "starts_on", "ends_on", "opens_on", "deadline", "status",
                "verified_on", "version")


@dataclass(frozen=True)
class Entry:
    """A read-only copy of the catalogue columns that searches and answers read."""

    id: str
    kind: str
    funding_type: str | None
    topic: str | None
    areas: tuple[str, ...]
    sectors: tuple[str, ...]
    stages: tuple[str, ...]
    languages: tuple[str, ...]
    starts_on: date | None
    ends_on: date | None
    opens_on: date | None
    deadline: date | None
    status: str
    verified_on: date | None
    version: int


_FINGERPRINT = select(
    func.count(Resource.id), func.coalesce(func.sum(Resource.version), 0),
    func.max(Resource.updated_at), func.min(Resource.updated_at),
    select(func.count()).select_from(ResourceText).scalar_subquery(),
)
_ENTRIES = select(*(getattr(Resource, name) for name in ENTRY_FIELDS)).where(
    Resource.status != "retired")
_RESULTS_KEPT = 512  # searches remembered per state of the catalogue


@dataclass
class Snapshot:
    """The offered-or-not entries (retired left out) of one state of the catalogue."""

    key: tuple[Any, ...]
    by_kind: dict[str, list[Entry]]
    results: dict[tuple[Query, date], list[Entry]] = field(default_factory=dict)
    extra: dict[Any, Any] = field(default_factory=dict)  # other readers' data (answers)


_snapshot: Snapshot | None = None
_snapshot_lock = threading.Lock()


async def fingerprint(session: AsyncSession) -> tuple[Any, ...]:
    """Something that changes whenever a change to the catalogue is committed."""
    return tuple((await session.execute(_FINGERPRINT)).one())


def _entry(row: Any) -> Entry:
    values = dict(zip(ENTRY_FIELDS, row, strict=True))
    for name in ("areas", "sectors", "stages", "languages"):
        values[name] = tuple(values[name] or ())
    values["version"] = values["version"] or 0
    return Entry(**values)


async def snapshot(session: AsyncSession) -> Snapshot:
    """The catalogue as committed now (as the caller's transaction sees it), cached."""
    global _snapshot
    # The engine too: a process (the tests) may open more than one database.
    key = (id(session.bind), *await fingerprint(session))
    current = _snapshot
    if current is not None and current.key == key:
        return current
    by_kind: dict[str, list[Entry]] = {}
    for row in (await session.execute(_ENTRIES)).all():
        entry = _entry(row)
        by_kind.setdefault(entry.kind, []).append(entry)
    fresh = Snapshot(key, by_kind)
    # Kept only when no change was committed meanwhile (PostgreSQL's READ COMMITTED gives each
    # statement its own view): then the copies are exactly the state ``key`` names.
    if await fingerprint(session) == key[1:]:
        with _snapshot_lock:
            _snapshot = fresh
    return fresh


def forget() -> None:
    """Drop the cached catalogue (tests; never needed for correctness)."""
    global _snapshot
    with _snapshot_lock:
        _snapshot = None


async def find_entries(session: AsyncSession, query: Query, today: date) -> list[Entry]:
    """``find``'s results, as ``Entry`` copies, from the cached catalogue (same order)."""
    current = await snapshot(session)
    cache_key = (query, today)
    found = current.results.get(cache_key)
    if found is None:
        found = rank(current.by_kind.get(TOPIC_KINDS[query.topic], ()), query, today)
        if len(current.results) >= _RESULTS_KEPT:
            current.results.clear()
        current.results[cache_key] = found
    return list(found)
