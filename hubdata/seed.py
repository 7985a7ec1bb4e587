"""Load the sourced catalogue from data/resources/*.yml into the database."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import list_currencies
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import geo
from hubdata.models import (
    FAQ_TOPICS,
    FUNDING_TYPES,
    KINDS,
    SECTORS,
    STAGES,
    STATUSES,
    Resource,
    ResourceText,
)
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

RESOURCE_DIR = PROJECT_ROOT / "data" / "resources"


class _DatesAsText(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so that a bad date is reported by field."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,119}$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")
_CURRENCIES = frozenset(list_currencies())
DATE_FIELDS = ("verified_on", "starts_on", "ends_on", "opens_on", "deadline")
TEXT_FIELDS = frozenset({"title", "description", "amount", "questions"})


@dataclass(frozen=True)
class EntryError:
    """A problem in one entry of a seed or import file."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


_AS_OF = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def as_of_date(value: Any) -> date | None:
    """The date a fact holds for: ``2021`` (an edition year), ``2021-06`` or ``2021-06-15``.

    A year or month stands for its first day; raises ValueError on anything else.
    """
    if value is None or isinstance(value, date):
        return value
    match = _AS_OF.match(str(value).strip())
    if not match:
        raise ValueError(value)
    year, month, day = (int(part) if part else 1 for part in match.groups())
    return date(year, month, day)


def _number(value: Any) -> float | None:
    """A number given as a number or as text (imports keep every scalar as text)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _money_errors(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) - {"value", "currency"}:
        return "must be {value: <number>, currency: <ISO 4217 code>}"
    number = _number(value.get("value"))
    if number is None or number <= 0:
        return "value must be a positive number"
    if str(value.get("currency")) not in _CURRENCIES:
        return f"unknown currency {value.get('currency')!r}"
    return None


def validate(entry: dict[str, Any], where: str) -> list[EntryError]:
    """Check one entry against the schema; return every problem found."""
    errors: list[EntryError] = []

    def err(field: str, message: str) -> None:
        errors.append(EntryError(where, field, message))

    status = entry.get("status")
    required = ["id", "kind", "organisation", "areas", "url", "status"]
    if status != "example":  # an example has, by definition, no source that could be read
        required += ["source_url", "as_of"]
    if status in ("current", "dated"):
        required.append("verified_on")
    for field in required:
        if entry.get(field) in (None, "", []):
            err(field, "is required")
    if status and status not in STATUSES:
        err("status", f"must be one of {', '.join(STATUSES)}")
    if entry.get("id") and not _SLUG.match(str(entry["id"])):
        err("id", "must be a slug of a-z, 0-9 and '-'")
    if entry.get("kind") and entry["kind"] not in KINDS:
        err("kind", f"must be one of {', '.join(KINDS)}")
    if entry.get("kind") == "funding" and entry.get("funding_type") not in FUNDING_TYPES:
        err("funding_type", f"must be one of {', '.join(FUNDING_TYPES)}")
    if entry.get("kind") == "faq" and entry.get("topic") not in FAQ_TOPICS:
        err("topic", f"must be one of {', '.join(FAQ_TOPICS)}")
    for code in entry.get("areas") or []:
        if not geo.is_area(str(code)):
            err("areas", f"unknown country or region code {code!r}")
    for field, allowed in (("sectors", SECTORS), ("stages", STAGES),
                           ("languages", SUPPORTED_LANGUAGES)):
        for value in entry.get(field) or []:
            if value not in allowed and not (value == "any" and field != "languages"):
                err(field, f"unknown value {value!r}")
    for field in ("url", "source_url"):
        if entry.get(field) and not _URL.match(str(entry[field])):
            err(field, "is not an http(s) URL")
    dates: dict[str, date | None] = {}
    for field in DATE_FIELDS:
        try:
            dates[field] = _as_date(entry.get(field))
        except ValueError:
            err(field, "is not an ISO date (YYYY-MM-DD)")
    try:
        as_of = as_of_date(entry.get("as_of"))
    except ValueError:
        err("as_of", "is not a year, YYYY-MM or an ISO date")
    else:
        if as_of and dates.get("verified_on") and as_of > dates["verified_on"]:
            err("as_of", "is after verified_on: a fact cannot be checked before it holds")
    for first, then in (("starts_on", "ends_on"), ("opens_on", "deadline")):
        if dates.get(first) and dates.get(then) and dates[then] < dates[first]:  # type: ignore[operator]
            err(then, f"is before {first}")
    if entry.get("amount_max") is not None and (problem := _money_errors(entry["amount_max"])):
        err("amount_max", problem)
    months = _number(entry.get("review_months"))
    if entry.get("review_months") not in (None, "") and (
            months is None or months != int(months) or not 1 <= months <= 60):
        err("review_months", "must be a whole number of months from 1 to 60")
    if "amount" in entry:
        err("amount", "belongs to text.<lang>.amount, so that it can be translated")
    texts = entry.get("text") or {}
    if "en" not in texts:
        err("text", "needs an English title and description")
    for lang, text in texts.items():
        if lang not in SUPPORTED_LANGUAGES:
            err("text", f"unsupported language {lang!r}")
        elif not isinstance(text, dict) or not str(text.get("title") or "").strip():
            err(f"text.{lang}", "needs a title")
        elif set(text) - TEXT_FIELDS:
            err(f"text.{lang}", f"unknown field(s) {', '.join(sorted(set(text) - TEXT_FIELDS))}")
    return errors


def to_resource(entry: dict[str, Any]) -> Resource:
    """Build a Resource (with its texts) from a validated entry."""
    money = entry.get("amount_max") or {}
    resource = Resource(
        id=entry["id"],
        kind=entry["kind"],
        funding_type=entry.get("funding_type"),
        topic=entry.get("topic"),
        organisation=entry["organisation"],
        areas=[geo.canonical(a) for a in entry["areas"]],
        sectors=list(entry.get("sectors") or ["any"]),
        stages=list(entry.get("stages") or ["any"]),
        languages=list(entry.get("languages") or ["en"]),
        amount_value=_number(money.get("value")),
        amount_currency=money.get("currency"),
        location=entry.get("location"),
        starts_on=_as_date(entry.get("starts_on")),
        ends_on=_as_date(entry.get("ends_on")),
        opens_on=_as_date(entry.get("opens_on")),
        deadline=_as_date(entry.get("deadline")),
        url=entry["url"],
        source_url=entry.get("source_url"),
        status=entry["status"],
        as_of=as_of_date(entry.get("as_of")),
        as_of_text=str(entry["as_of"]) if entry.get("as_of") else None,
        verified_on=_as_date(entry.get("verified_on")),
        review_months=int(entry["review_months"]) if entry.get("review_months") else None,
    )
    english = entry["text"]["en"]
    for lang, text in entry["text"].items():
        resource.texts.append(
            ResourceText(
                lang=lang,
                title=text["title"],
                description=text.get("description") or english.get("description") or "",
                amount=text.get("amount") or english.get("amount"),
                questions=list(text.get("questions") or []),
            )
        )
    return resource


def to_entry(resource: Resource) -> dict[str, Any]:
    """A resource in the seed format (the inverse of ``hubdata.seed.to_resource``)."""
    entry: dict[str, Any] = {"id": resource.id, "kind": resource.kind}
    for field in ("funding_type", "topic"):
        if getattr(resource, field):
            entry[field] = getattr(resource, field)
    entry.update(organisation=resource.organisation, areas=list(resource.areas),
                 sectors=list(resource.sectors), stages=list(resource.stages),
                 languages=list(resource.languages))
    if resource.location:
        entry["location"] = resource.location
    for field in ("starts_on", "ends_on", "opens_on", "deadline"):
        if getattr(resource, field):
            entry[field] = getattr(resource, field).isoformat()
    entry["url"] = resource.url
    if resource.source_url:
        entry["source_url"] = resource.source_url
    entry["status"] = resource.status
    if resource.as_of_text or resource.as_of:
        entry["as_of"] = resource.as_of_text or resource.as_of.isoformat()
    if resource.verified_on:
        entry["verified_on"] = resource.verified_on.isoformat()
    if resource.review_months:
        entry["review_months"] = resource.review_months
    if resource.amount_value is not None:
        value = resource.amount_value
        entry["amount_max"] = {"value": int(value) if value == int(value) else value,
                               "currency": resource.amount_currency}
    entry["text"] = {t.lang: _text(t) for t in sorted(resource.texts, key=_text_order)}
    return entry


def _text(text: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"title": text.title, "description": text.description}
    if text.amount:
        out["amount"] = text.amount
    if text.questions:
        out["questions"] = list(text.questions)
    return out


def _text_order(text: Any) -> tuple[int, str]:
    return (0 if text.lang == "en" else 1, text.lang)


def load_files(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], list[EntryError]]:
    """Read and validate seed files; return the entries and every error, ids checked unique.

    The catalogue's own files (data/resources/*.yml) also get their translations merged in.
    """
    paths = sorted(paths)
    entries: list[dict[str, Any]] = []
    errors: list[EntryError] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or []
        except yaml.YAMLError as error:
            errors.append(EntryError(path.name, "file", f"cannot be read: {error}"))
            continue
        if not isinstance(data, list):
            errors.append(EntryError(path.name, "file", "must be a list of entries"))
            continue
        for index, entry in enumerate(data, start=1):
            if not isinstance(entry, dict):
                errors.append(EntryError(f"{path.name} entry {index}", "entry", "not a mapping"))
                continue
            where = f"{path.name} entry {index} ({entry.get('id', '?')})"
            errors.extend(validate(entry, where))
            if entry.get("id") in seen:
                errors.append(EntryError(where, "id", f"duplicate of {seen[entry['id']]}"))
            seen[entry.get("id", "")] = where
            entries.append(entry)
    translations = RESOURCE_DIR / "translations"
    if paths and translations.is_dir() and all(p.parent == RESOURCE_DIR for p in paths):
        errors.extend(merge_translations(entries, translations))
    return entries, errors


def merge_translations(entries: list[dict[str, Any]], directory: Path) -> list[EntryError]:
    """Add texts from ``directory/<lang>/<file>.yml`` (id -> title, description, amount,
    questions), one file per catalogue file.

    A text already in the entry (an organisation's official name) is kept.
    """
    errors: list[EntryError] = []
    by_id = {e.get("id"): e for e in entries}
    for path in sorted(directory.glob("*/*.yml")):
        lang = path.parent.name
        where = f"translations/{lang}/{path.name}"
        if lang not in SUPPORTED_LANGUAGES or lang == "en":
            errors.append(EntryError(where, "file", f"unsupported language {lang!r}"))
            continue
        texts = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or {}
        for resource_id, text in texts.items():
            if resource_id not in by_id:
                errors.append(EntryError(where, str(resource_id), "no such resource id"))
                continue
            if not isinstance(text, dict) or not text.get("title"):
                errors.append(EntryError(where, str(resource_id), "needs a title"))
                continue
            if set(text) - TEXT_FIELDS:
                errors.append(EntryError(where, str(resource_id), "unknown field(s) "
                                         + ", ".join(sorted(set(text) - TEXT_FIELDS))))
                continue
            existing = by_id[resource_id].setdefault("text", {}).setdefault(lang, {})
            for field, value in text.items():
                existing.setdefault(field, value)
    return errors


async def replace_catalogue(session: AsyncSession, entries: list[dict[str, Any]]) -> int:
    """Replace every resource with ``entries`` inside the caller's transaction."""
    await session.execute(delete(ResourceText))
    await session.execute(delete(Resource))
    for entry in entries:
        session.add(to_resource(entry))
    await session.flush()
    return len(entries)
