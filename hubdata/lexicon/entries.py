"""The entities and their values, and what an indexed form stands for (an entry)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hubdata.models import FUNDING_TYPES, SECTORS
from hubdata.settings import SUPPORTED_LANGUAGES

ENTITY_VALUES: dict[str, tuple[str, ...]] = {
    "sector": SECTORS,
    "funding_type": FUNDING_TYPES,
    "language": SUPPORTED_LANGUAGES,
}
IGNORE = ""  # entity name of phrases that block a match and yield nothing
ITU_NAME = "itu_name"  # a name of data/gazetteer.yml; its value is the canonical name


@dataclass(frozen=True)
class Entry:
    entity: str
    value: str
    strict: str = ""  # "upper": in capitals; "title": capital initial; "marks": matching._passes
    cue: bool = False  # only right after a word of `cues`
    marks: frozenset[str] = frozenset()  # diacritics written in a "marks" form


def strict_entry(entity: str, value: str, form: str) -> Entry:
    """An entry matched only as ``form`` is written: its capitals, or its Arabic diacritics."""
    letters = [c for c in form if c.isalpha()]
    if any(c.isupper() for c in letters):
        kind = "upper" if len(letters) > 1 and all(c.isupper() for c in letters) else "title"
        return Entry(entity, value, strict=kind)
    marks = frozenset(c for c in unicodedata.normalize("NFD", form) if unicodedata.combining(c))
    return Entry(entity, value, strict="marks", marks=marks)
