"""Catalogue entries in CSV and YAML files, for ``resources import`` and ``resources export``.

YAML files use the seed format (``data/resources/*.yml``: a list of entries, texts under
``text.<lang>``). CSV files have one row per entry and the columns of ``CSV_COLUMNS``: list
fields hold codes separated by ``;`` and texts are ``title_<lang>``, ``description_<lang>``,
``amount_<lang>`` and ``questions_<lang>`` (a direct answer's questions, one per line).
Every entry is checked with ``hubdata.seed.validate``; errors name the row (CSV, counting the
header as row 1, as a spreadsheet shows it) or the entry and its line (YAML), and the column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from hubdata import seed
from hubdata.settings import SUPPORTED_LANGUAGES

FIELDS = ("id", "kind", "funding_type", "topic", "organisation", "areas", "sectors", "stages",
          "languages", "location", "starts_on", "ends_on", "opens_on", "deadline", "url",
          "source_url", "status", "as_of", "verified_on", "review_months")
MONEY_COLUMNS = ("amount_max_value", "amount_max_currency")
LIST_FIELDS = ("areas", "sectors", "stages", "languages")
TEXT_PARTS = ("title", "description", "amount", "questions")  # questions: one per line
TEXT_COLUMNS = tuple(f"{part}_{lang}" for lang in SUPPORTED_LANGUAGES for part in TEXT_PARTS)
CSV_COLUMNS = (*FIELDS, *MONEY_COLUMNS, *TEXT_COLUMNS)


def describe(error: seed.EntryError) -> str:
    """An import error as the maintainer reads it: ``where, column C: message``."""
    return f"{error.where}, column {error.field}: {error.message}"


def read(path: Path) -> tuple[list[dict[str, Any]], list[seed.EntryError]]:
    """The entries of a CSV or YAML file, and every problem found in them."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [seed.EntryError(path.name, "-", f"cannot be read: {error}")]
    if path.suffix.lower() == ".csv":
        rows = _read_csv(text, path.name)
    elif path.suffix.lower() in (".yml", ".yaml"):
        rows = _read_yaml(text, path.name)
    else:
        return [], [seed.EntryError(path.name, "-", "must be a .csv, .yml or .yaml file")]
    entries, errors = rows
    seen: dict[str, str] = {}
    located = list(zip(entries, [e.pop("_where") for e in entries], strict=True))
    for entry, where in located:
        for problem in seed.validate(entry, where):
            errors.append(seed.EntryError(where, _column(problem.field, path), problem.message))
        if entry.get("id") in seen:
            errors.append(seed.EntryError(where, "id", f"duplicate of {seen[entry['id']]}"))
        seen.setdefault(str(entry.get("id")), where)
    errors.sort(key=lambda e: int(m.group()) if (m := re.search(r"\d+", e.where)) else 0)
    return [entry for entry, _ in located], errors


def _column(field: str, path: Path) -> str:
    """The column a validation field is in (CSV files keep texts in title_<lang>)."""
    if path.suffix.lower() != ".csv" or not field.startswith("text"):
        return field
    return "title_" + (field.partition(".")[2] or "en")


def _read_csv(text: str, name: str) -> tuple[list[dict[str, Any]], list[seed.EntryError]]:
    if "\x00" in text:  # the csv module refuses it mid-file
        line = text[:text.index("\x00")].count("\n") + 1
        return [], [seed.EntryError(f"{name} line {line}", "-", "not a CSV file (NUL)")]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    errors = [seed.EntryError(f"{name} row 1", column, "unknown column")
              for column in header if column not in CSV_COLUMNS]
    errors += [seed.EntryError(f"{name} row 1", column, "missing column")
               for column in ("id", "kind", "organisation", "areas", "url", "status",
                              "title_en") if column not in header]
    if errors:
        return [], errors
    entries = []
    for number, row in enumerate(reader, start=2):
        where = f"{name} row {number}"
        if None in row:
            errors.append(seed.EntryError(where, "-", "more cells than columns"))
            continue
        entry: dict[str, Any] = {"_where": where}
        for column in FIELDS:
            value = (row.get(column) or "").strip()
            if column in LIST_FIELDS:
                entry[column] = [v.strip() for v in value.replace(",", ";").split(";")
                                 if v.strip()]
            elif value:
                entry[column] = value
        money = {part: (row.get(f"amount_max_{part}") or "").strip()
                 for part in ("value", "currency")}
        if any(money.values()):
            entry["amount_max"] = money
        texts: dict[str, dict[str, str]] = {}
        for lang in SUPPORTED_LANGUAGES:
            text: dict[str, Any] = {part: (row.get(f"{part}_{lang}") or "").strip()
                                    for part in TEXT_PARTS}
            if any(text.values()):
                text["questions"] = [q.strip() for q in text["questions"].splitlines() if q.strip()]
                texts[lang] = {k: v for k, v in text.items() if v or k in ("title", "description")}
        entry["text"] = texts
        entries.append(entry)
    return entries, errors


def _read_yaml(text: str, name: str) -> tuple[list[dict[str, Any]], list[seed.EntryError]]:
    try:
        root = yaml.compose(text, Loader=yaml.BaseLoader)  # every scalar stays text
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:  # also a reader error (a control character)
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return [], [seed.EntryError(f"{name} line {line}", "-", f"not valid YAML: {problem}")]
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        return [], [seed.EntryError(name, "-", "must be a list of entries")]
    entries, errors = [], []
    for number, (node, entry) in enumerate(zip(root.value, data, strict=True), start=1):
        where = f"{name} entry {number} (line {node.start_mark.line + 1})"
        if not isinstance(entry, dict):
            errors.append(seed.EntryError(where, "-", "not a mapping"))
            continue
        entries.append({**entry, "_where": where})
    return entries, errors


def to_yaml(entries: list[dict[str, Any]]) -> str:
    """Entries in the seed format."""
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)


def to_csv(entries: list[dict[str, Any]]) -> str:
    """Entries as CSV rows with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        row = {field: entry.get(field) for field in FIELDS}
        for field in LIST_FIELDS:
            row[field] = ";".join(entry.get(field) or [])
        money = entry.get("amount_max") or {}
        row["amount_max_value"] = money.get("value")
        row["amount_max_currency"] = money.get("currency")
        for lang, text in (entry.get("text") or {}).items():
            for part in TEXT_PARTS:
                value = text.get(part) or ""
                row[f"{part}_{lang}"] = "\n".join(value) if part == "questions" else value
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
