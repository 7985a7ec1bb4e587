"""Load the sourced catalogue from data/resources/*.yml into the database."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import geo
from hubdata.models import FUNDING_TYPES, KINDS, SECTORS, STAGES, Resource, ResourceText
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


def validate(entry: dict[str, Any], where: str) -> list[EntryError]:
    """Check one entry against the schema; return every problem found."""
    errors: list[EntryError] = []

    def err(field: str, message: str) -> None:
        errors.append(EntryError(where, field, message))

    for field in ("id", "kind", "organisation", "areas", "url", "source_url", "verified_on"):
        if entry.get(field) in (None, "", []):
            err(field, "is required")
    if entry.get("id") and not _SLUG.match(str(entry["id"])):
        err("id", "must be a slug of a-z, 0-9 and '-'")
    if entry.get("kind") and entry["kind"] not in KINDS:
        err("kind", f"must be one of {', '.join(KINDS)}")
    if entry.get("kind") == "funding" and entry.get("funding_type") not in FUNDING_TYPES:
        err("funding_type", f"must be one of {', '.join(FUNDING_TYPES)}")
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
    for field in ("verified_on", "starts_on", "ends_on"):
        try:
            _as_date(entry.get(field))
        except ValueError:
            err(field, "is not an ISO date (YYYY-MM-DD)")
    texts = entry.get("text") or {}
    if "en" not in texts:
        err("text", "needs an English title and description")
    for lang, text in texts.items():
        if lang not in SUPPORTED_LANGUAGES:
            err("text", f"unsupported language {lang!r}")
        elif not isinstance(text, dict) or not text.get("title"):
            err(f"text.{lang}", "needs a title")
    return errors


def to_resource(entry: dict[str, Any]) -> Resource:
    """Build a Resource (with its texts) from a validated entry."""
    resource = Resource(
        id=entry["id"],
        kind=entry["kind"],
        funding_type=entry.get("funding_type"),
        organisation=entry["organisation"],
        areas=[geo.canonical(a) for a in entry["areas"]],
        sectors=list(entry.get("sectors") or ["any"]),
        stages=list(entry.get("stages") or ["any"]),
        languages=list(entry.get("languages") or ["en"]),
        amount=entry.get("amount"),
        location=entry.get("location"),
        starts_on=_as_date(entry.get("starts_on")),
        ends_on=_as_date(entry.get("ends_on")),
        url=entry["url"],
        source_url=entry["source_url"],
        verified_on=_as_date(entry["verified_on"]),
        is_example=bool(entry.get("example", False)),
    )
    english = entry["text"]["en"]
    for lang, text in entry["text"].items():
        resource.texts.append(
            ResourceText(
                lang=lang,
                title=text["title"],
                description=text.get("description") or english.get("description") or "",
            )
        )
    return resource


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
    """Add titles and descriptions from ``directory/<lang>.yml`` (id -> title, description).

    A text already in the entry (an organisation's official name) is kept.
    """
    errors: list[EntryError] = []
    by_id = {e.get("id"): e for e in entries}
    for path in sorted(directory.glob("*.yml")):
        lang = path.stem
        if lang not in SUPPORTED_LANGUAGES:
            errors.append(EntryError(path.name, "file", f"unsupported language {lang!r}"))
            continue
        texts = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText) or {}
        for resource_id, text in texts.items():
            if resource_id not in by_id:
                errors.append(EntryError(path.name, str(resource_id), "no such resource id"))
                continue
            if not isinstance(text, dict) or not text.get("title"):
                errors.append(EntryError(path.name, str(resource_id), "needs a title"))
                continue
            existing = by_id[resource_id].setdefault("text", {}).setdefault(lang, {})
            existing.setdefault("title", text["title"])
            existing.setdefault("description", text.get("description") or "")
    return errors


async def replace_catalogue(session: AsyncSession, entries: list[dict[str, Any]]) -> int:
    """Replace every resource with ``entries`` inside the caller's transaction."""
    await session.execute(delete(ResourceText))
    await session.execute(delete(Resource))
    for entry in entries:
        session.add(to_resource(entry))
    await session.flush()
    return len(entries)
