"""The catalogue desk: staff list, edit, add, retire and re-verify catalogue entries.

Repository and service functions: they take the caller's session and never commit. Every
change is validated exactly as ``resources import`` validates a file (``hubdata.seed.validate``
on the seed-format entry), checked against the version the staff member saw (two people editing
the same entry: the second save is refused), and audited with the old and new value of each
changed field. Only active staff with ``can_edit_catalogue`` may use it; refusals are audited.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import geo, lifecycle, seed
from hubdata.desk import audit, staff
from hubdata.desk.results import Actor, Notice
from hubdata.models import (
    KINDS,
    SECTORS,
    STATUSES,
    AuditEntry,
    Resource,
    ResourceReport,
    ResourceText,
    Search,
)
from hubdata.seed import EntryError, to_entry
from hubdata.settings import SUPPORTED_LANGUAGES

ACTION_PREFIX = "catalogue."
NOT_ALLOWED = "console.catalogue_not_allowed"
_KEPT = ("id", "version", "updated_at")  # columns a save never copies from the form
_TEXT_FIELDS = ("title", "description", "amount", "questions")


@dataclass(frozen=True)
class CatalogueFilter:
    """What the catalogue list shows. Empty fields do not filter."""

    kind: str | None = None
    area: str | None = None  # a country (entries that reach it) or a region (entries naming it)
    sector: str | None = None
    status: str | None = None
    due: bool = False  # only entries due for review
    missing: str | None = None  # a language, or "any": entries lacking that translation

    @classmethod
    def parse(cls, kind: str = "", area: str = "", sector: str = "", status: str = "",
              due: str = "", missing: str = "") -> CatalogueFilter:
        """Build from form values; anything unknown means "no filter"."""
        area = area.strip().upper()
        return cls(kind=kind if kind in KINDS else None,
                   area=area if area and geo.is_area(area) else None,
                   sector=sector if sector in SECTORS else None,
                   status=status if status in STATUSES else None,
                   due=due == "1",
                   missing=missing if missing in (*SUPPORTED_LANGUAGES, "any") else None)


@dataclass
class Saved:
    """The outcome of a save: refused (not allowed, invalid, changed meanwhile) or done."""

    ok: bool
    resource: Resource | None = None
    errors: list[EntryError] = field(default_factory=list)
    conflict: bool = False  # someone saved the entry since the form was opened
    notice: Notice | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewItem:
    """One line of the review queue."""

    resource: Resource
    due_on: date
    shown: int  # searches that showed it to a founder
    open_reports: int


# ------------------------------------------------------------------------------ reading
def missing_languages(resource: Resource) -> list[str]:
    """The supported languages the entry has no title and description in."""
    have = {t.lang for t in resource.texts}
    return [lang for lang in SUPPORTED_LANGUAGES if lang not in have]


def _reaches(resource: Resource, area: str) -> bool:
    areas = set(resource.areas or [])
    if geo.is_country(area):
        return bool(areas & geo.areas_for_country(area))
    return area in areas


async def listing(session: AsyncSession, wanted: CatalogueFilter, today: date,
                  default_months: int = lifecycle.DEFAULT_REVIEW_MONTHS) -> list[Resource]:
    """The entries matching ``wanted``, by kind then id (retired ones too)."""
    query = select(Resource).order_by(Resource.kind, Resource.id)
    if wanted.kind:
        query = query.where(Resource.kind == wanted.kind)
    if wanted.status:
        query = query.where(Resource.status == wanted.status)
    rows = list((await session.execute(query)).scalars())
    if wanted.area:
        rows = [r for r in rows if _reaches(r, wanted.area)]
    if wanted.sector:
        rows = [r for r in rows if wanted.sector in (r.sectors or []) or "any" in (r.sectors or [])]
    if wanted.due:
        rows = [r for r in rows if lifecycle.is_due(r, today, default_months)]
    if wanted.missing == "any":
        rows = [r for r in rows if missing_languages(r)]
    elif wanted.missing:
        rows = [r for r in rows if wanted.missing in missing_languages(r)]
    return rows


async def history(session: AsyncSession, resource_id: str, limit: int = 200
                  ) -> list[AuditEntry]:
    """The audit entries about one entry, newest first."""
    query = (select(AuditEntry)
             .where(AuditEntry.action.startswith(ACTION_PREFIX),
                    AuditEntry.detail["resource_id"].as_string() == resource_id)
             .order_by(AuditEntry.id.desc()).limit(limit))
    return list((await session.execute(query)).scalars())


async def reports(session: AsyncSession, resource_id: str) -> list[ResourceReport]:
    """Founders' reports on one entry: open ones first, newest first."""
    query = (select(ResourceReport).where(ResourceReport.resource_id == resource_id)
             .order_by(ResourceReport.status.desc(), ResourceReport.id.desc()))
    return list((await session.execute(query)).scalars())


async def times_shown(session: AsyncSession) -> Counter[str]:
    """How many searches showed each entry to a founder."""
    shown: Counter[str] = Counter()
    for ids in (await session.execute(select(Search.result_ids))).scalars():
        shown.update(set(ids or []))
    return shown


async def review_queue(session: AsyncSession, today: date,
                       default_months: int = lifecycle.DEFAULT_REVIEW_MONTHS) -> list[ReviewItem]:
    """Entries due for review: most shown to founders first, then most open reports, then the
    longest overdue."""
    rows = (await session.execute(select(Resource).where(Resource.status != "retired"))).scalars()
    due = [r for r in rows if lifecycle.is_due(r, today, default_months)]
    if not due:
        return []
    shown = await times_shown(session)
    counts = dict((await session.execute(
        select(ResourceReport.resource_id, func.count()).where(ResourceReport.status == "open")
        .group_by(ResourceReport.resource_id))).all())
    items = [ReviewItem(r, lifecycle.review_due_on(r, default_months) or date.min,
                        shown[r.id], int(counts.get(r.id, 0))) for r in due]
    items.sort(key=lambda i: (-i.shown, -i.open_reports, i.due_on, i.resource.id))
    return items


# ------------------------------------------------------------------------ permission
async def allowed(session: AsyncSession, actor: Actor, action: str, *, now: datetime,
                  resource_id: str | None = None) -> Notice | None:
    """None if ``actor`` may use the catalogue desk; else the refusal (audited)."""
    member = await staff.active(session, actor.user_id)
    if member is not None and member.can_edit_catalogue:
        return None
    audit.record(session, actor, action, outcome=audit.REFUSED, now=now, reason=NOT_ALLOWED,
                 resource_id=resource_id)
    return Notice(NOT_ALLOWED)


# --------------------------------------------------------------------------- changes
def flatten(entry: dict[str, Any]) -> dict[str, Any]:
    """A seed-format entry as one level of fields ("text.fr.title" for the texts)."""
    flat = {k: v for k, v in entry.items() if k != "text"}
    for lang, text in (entry.get("text") or {}).items():
        for name, value in (text or {}).items():
            flat[f"text.{lang}.{name}"] = value
    return flat


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Each field that differs: [old, new] (None where absent)."""
    old, new = flatten(before), flatten(after)
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)}


def _apply(resource: Resource, entry: dict[str, Any], now: datetime) -> None:
    """Copy a validated entry onto a stored resource (its id and version stay)."""
    fresh = seed.to_resource(entry)
    for column in inspect(Resource).column_attrs:
        if column.key not in _KEPT:
            setattr(resource, column.key, getattr(fresh, column.key))
    resource.updated_at = now  # the row changes, so its version moves, even for texts only
    stored = {t.lang: t for t in resource.texts}
    wanted = {t.lang: t for t in fresh.texts}
    for lang, text in wanted.items():
        if lang in stored:
            for name in _TEXT_FIELDS:
                setattr(stored[lang], name, getattr(text, name))
        else:
            resource.texts.append(ResourceText(
                lang=lang, **{name: getattr(text, name) for name in _TEXT_FIELDS}))
    for lang in set(stored) - set(wanted):
        resource.texts.remove(stored[lang])


async def _save(session: AsyncSession, actor: Actor, action: str, resource: Resource,
                entry: dict[str, Any], *, now: datetime, errors: list[EntryError] | None = None
                ) -> Saved:
    errors = seed.validate(entry, resource.id) if errors is None else errors
    if errors:
        return Saved(ok=False, resource=resource, errors=errors,
                     notice=Notice("console.catalogue_invalid", {"count": len(errors)}))
    changed = changes(to_entry(resource), to_entry(seed.to_resource(entry)))
    if not changed:
        return Saved(ok=True, resource=resource, notice=Notice("console.catalogue_unchanged"))
    _apply(resource, entry, now)
    await session.flush()  # a concurrent save since we read the row: StaleDataError here
    audit.record(session, actor, action, now=now, resource_id=resource.id, changes=changed)
    return Saved(ok=True, resource=resource, changes=changed,
                 notice=Notice(f"console.{action.replace('.', '_')}_done"))


async def _current(session: AsyncSession, actor: Actor, action: str, resource_id: str,
                   version: int | None, *, now: datetime) -> tuple[Resource | None, Saved | None]:
    """The stored entry, or why the action cannot go ahead (not allowed, gone, changed)."""
    refusal = await allowed(session, actor, action, now=now, resource_id=resource_id)
    if refusal is not None:
        return None, Saved(ok=False, notice=refusal)
    resource = await session.get(Resource, resource_id)
    if resource is None:
        return None, Saved(ok=False, notice=Notice("console.catalogue_no_such_entry",
                                                   {"name": resource_id}))
    if version is None or int(resource.version) != version:
        audit.record(session, actor, action, outcome=audit.REFUSED, now=now,
                     reason="console.catalogue_conflict", resource_id=resource_id,
                     seen_version=version, version=int(resource.version))
        return resource, Saved(ok=False, resource=resource, conflict=True,
                               notice=Notice("console.catalogue_conflict"))
    return resource, None


async def edit(session: AsyncSession, actor: Actor, resource_id: str, entry: dict[str, Any],
               version: int | None, *, now: datetime) -> Saved:
    """Save an edited entry (seed format) over the stored one, if still at ``version``."""
    resource, refused = await _current(session, actor, "catalogue.edit", resource_id, version,
                                       now=now)
    if refused is not None:
        return refused
    assert resource is not None
    return await _save(session, actor, "catalogue.edit", resource, {**entry, "id": resource_id},
                       now=now)


async def add(session: AsyncSession, actor: Actor, entry: dict[str, Any], *, now: datetime
              ) -> Saved:
    """Add a new entry (seed format)."""
    refusal = await allowed(session, actor, "catalogue.add", now=now,
                            resource_id=entry.get("id"))
    if refusal is not None:
        return Saved(ok=False, notice=refusal)
    errors = seed.validate(entry, str(entry.get("id") or "new"))
    if not errors and await session.get(Resource, entry["id"]) is not None:
        errors = [EntryError(str(entry["id"]), "id", "duplicate")]
    if errors:
        return Saved(ok=False, errors=errors,
                     notice=Notice("console.catalogue_invalid", {"count": len(errors)}))
    resource = seed.to_resource(entry)
    resource.updated_at = now
    session.add(resource)
    await session.flush()
    audit.record(session, actor, "catalogue.add", now=now, resource_id=resource.id,
                 changes=changes({}, to_entry(resource)))
    return Saved(ok=True, resource=resource, notice=Notice("console.catalogue_add_done"))


async def retire(session: AsyncSession, actor: Actor, resource_id: str, version: int | None,
                 *, now: datetime) -> Saved:
    """Retire an entry: kept for history, never offered to founders again.

    Only the status changes, so the entry is not validated again.
    """
    resource, refused = await _current(session, actor, "catalogue.retire", resource_id,
                                       version, now=now)
    if refused is not None:
        return refused
    assert resource is not None
    return await _save(session, actor, "catalogue.retire", resource,
                       {**to_entry(resource), "status": "retired"}, now=now, errors=[])


async def reverify(session: AsyncSession, actor: Actor, resource_id: str, source_url: str,
                   version: int | None, *, today: date, now: datetime) -> Saved:
    """Record that someone checked the entry against ``source_url`` today."""
    resource, refused = await _current(session, actor, "catalogue.reverify", resource_id,
                                       version, now=now)
    if refused is not None:
        return refused
    assert resource is not None
    entry = {**to_entry(resource), "verified_on": today.isoformat(),
             "source_url": source_url.strip()}
    return await _save(session, actor, "catalogue.reverify", resource, entry, now=now)


async def close_report(session: AsyncSession, actor: Actor, report_id: int, *, now: datetime
                       ) -> tuple[bool, Notice, str | None]:
    """Close a founder's report; returns (done, notice, the entry's id)."""
    report = await session.get(ResourceReport, report_id)
    resource_id = None if report is None else str(report.resource_id)
    refusal = await allowed(session, actor, "catalogue.report_close", now=now,
                            resource_id=resource_id)
    if refusal is not None:
        return False, refusal, resource_id
    if report is None or report.status != "open":
        return False, Notice("console.catalogue_report_not_open"), resource_id
    report.status, report.closed_at, report.closed_by = "closed", now, actor.user_id
    audit.record(session, actor, "catalogue.report_close", now=now, resource_id=resource_id,
                 report_id=report_id, changes={"report.status": ["open", "closed"]})
    return True, Notice("console.catalogue_report_close_done"), resource_id
