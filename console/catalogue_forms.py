"""The catalogue entry form: seed-format entry <-> flat form fields, and errors in words.

The form's fields are the seed format's (``hubdata/seed.py``), flattened: lists are written
with commas, the money as ``amount_value`` and ``amount_currency``, each language's texts as
``text.<lang>.title`` and so on. The console builds the entry from the form and validates it
with ``hubdata.seed.validate``, exactly as ``resources import`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hubdata.seed import EntryError
from hubdata.settings import SUPPORTED_LANGUAGES

SCALARS = ("id", "kind", "funding_type", "topic", "status", "organisation", "location",
           "starts_on", "ends_on", "opens_on", "deadline", "as_of", "verified_on",
           "review_months", "url", "source_url")
LISTS = ("areas", "sectors", "stages", "languages")
TEXTS = ("title", "description", "amount", "questions")
_SPLIT = re.compile(r"[,\s]+")

# hubdata.seed's messages (English, for files) -> the console's message ids.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), msgid) for pattern, msgid in (
        (r"^is required$", "console.catalogue_err_required"),
        (r"^must be one of (?P<text>.+)$", "console.catalogue_err_choice"),
        (r"^must be a slug", "console.catalogue_err_slug"),
        (r"^unknown country or region code '(?P<text>.*)'$", "console.catalogue_err_area"),
        (r"^unknown value '(?P<text>.*)'$", "console.catalogue_err_value"),
        (r"^is not an http\(s\) URL$", "console.catalogue_err_url"),
        (r"^is not an ISO date", "console.catalogue_err_date"),
        (r"^is not a year", "console.catalogue_err_as_of"),
        (r"^is after verified_on", "console.catalogue_err_as_of_after"),
        (r"^is before (?P<field>[a-z_]+)$", "console.catalogue_err_before"),
        (r"^(must be \{value|value must be|unknown currency)", "console.catalogue_err_money"),
        (r"^must be a whole number of months", "console.catalogue_err_months"),
        (r"^needs an English title", "console.catalogue_err_title"),
        (r"^needs a title$", "console.catalogue_err_title"),
        (r"^duplicate$", "console.catalogue_err_duplicate"),
    ))


def text_field(lang: str, name: str) -> str:
    """The form field of one language's text."""
    return f"text.{lang}.{name}"


def to_form(entry: Mapping[str, Any]) -> dict[str, str]:
    """The form's values for a seed-format entry."""
    form = {name: "" if entry.get(name) is None else str(entry[name]) for name in SCALARS}
    for name in LISTS:
        form[name] = ", ".join(str(v) for v in entry.get(name) or [])
    money = entry.get("amount_max") or {}
    form["amount_value"] = "" if money.get("value") is None else str(money["value"])
    form["amount_currency"] = str(money.get("currency") or "")
    for lang, text in (entry.get("text") or {}).items():
        for name in TEXTS:
            value = (text or {}).get(name)
            form[text_field(lang, name)] = ("\n".join(value) if isinstance(value, list)
                                           else "" if value is None else str(value))
    return form


def _whole(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return value  # left for the validator to refuse
    return int(number) if number == int(number) else value


def to_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A seed-format entry from the form's values (empty fields left out)."""
    value = {k: str(form.get(k) or "").strip() for k in form}
    entry: dict[str, Any] = {k: value[k] for k in SCALARS if value.get(k)}
    if "review_months" in entry:
        entry["review_months"] = _whole(entry["review_months"])
    for name in LISTS:
        items = [v for v in _SPLIT.split(value.get(name, "")) if v]
        entry[name] = [v.upper() for v in items] if name == "areas" else [
            v.lower() for v in items]
    if value.get("amount_value") or value.get("amount_currency"):
        entry["amount_max"] = {"value": value.get("amount_value", ""),
                               "currency": value.get("amount_currency", "").upper()}
    texts: dict[str, Any] = {}
    for lang in SUPPORTED_LANGUAGES:
        text = {n: value.get(text_field(lang, n), "") for n in TEXTS}
        if lang != "en" and not any(text.values()):
            continue
        out: dict[str, Any] = {"title": text["title"], "description": text["description"]}
        if text["amount"]:
            out["amount"] = text["amount"]
        questions = [q.strip() for q in text["questions"].splitlines() if q.strip()]
        if questions:
            out["questions"] = questions
        texts[lang] = out
    entry["text"] = texts
    return entry


def field_of(error: EntryError) -> str:
    """The form field an error belongs beside."""
    if error.field == "text":
        return text_field("en", "title")
    if error.field.startswith("text."):
        return text_field(error.field.split(".", 1)[1], "title")
    if error.field == "amount_max":
        return "amount_value"
    return error.field


def message_of(error: EntryError) -> tuple[str, dict[str, Any]]:
    """The message id and parameters that say what is wrong, in the staff member's words."""
    for pattern, msgid in _MESSAGES:
        match = pattern.search(error.message)
        if match:
            return msgid, match.groupdict()
    return "console.catalogue_err_other", {"text": error.message}


def by_field(errors: list[EntryError]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The errors grouped by the form field they are shown beside."""
    grouped: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for error in errors:
        grouped.setdefault(field_of(error), []).append(message_of(error))
    return grouped
