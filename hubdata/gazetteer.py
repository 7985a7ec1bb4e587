"""ITU's own names (events, programmes, products) as founders type them: ``data/gazetteer.yml``.

Each entry has a canonical name, the intent the name signals (a question about the WSIS
Forum is about events; one about ITU Academy is about training), a public source, and its
spellings in every supported language. The lexicon matches the spellings like its other
phrases (folded case and accents, Arabic proclitics, Chinese substrings), so a name blocks
the sector or language words inside it ("Girls in ICT Day" is not about connectivity), and
the NLU pipeline's ``GazetteerFeaturizer`` tells the intent classifier which names it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

GAZETTEER_FILE = PROJECT_ROOT / "data" / "gazetteer.yml"


@dataclass(frozen=True)
class Name:
    """One ITU name and how it is written in each language."""

    name: str
    intent: str
    source: str
    spellings: dict[str, tuple[str, ...]]


def parse(raw: object, where: str = "gazetteer") -> tuple[Name, ...]:
    """The entries of a gazetteer document; ``ValueError`` names the first bad one."""
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise ValueError(f"{where}: expected a mapping with a list of entries")
    names, seen = [], set()
    for number, entry in enumerate(raw["entries"], start=1):
        at = f"{where}: entry {number}"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: not a mapping")
        name, intent, source = (str(entry.get(k) or "").strip()
                                for k in ("name", "intent", "source"))
        if not name or not intent:
            raise ValueError(f"{at}: a name and an intent are required")
        if name in seen:
            raise ValueError(f"{at}: {name!r} is listed twice")
        if not source.startswith("https://"):
            raise ValueError(f"{at} ({name}): the source must be an https URL")
        spellings = entry.get("spellings") or {}
        missing = [lang for lang in SUPPORTED_LANGUAGES if not spellings.get(lang)]
        if missing:
            raise ValueError(f"{at} ({name}): no spellings in {', '.join(missing)}")
        unknown = sorted(set(spellings) - set(SUPPORTED_LANGUAGES))
        if unknown:
            raise ValueError(f"{at} ({name}): unknown languages {', '.join(unknown)}")
        seen.add(name)
        names.append(Name(name, intent, source, {
            lang: tuple(str(s).strip() for s in spellings[lang] if str(s).strip())
            for lang in SUPPORTED_LANGUAGES}))
    return tuple(names)


@cache
def names(path: Path = GAZETTEER_FILE) -> tuple[Name, ...]:
    """The gazetteer's entries, read and checked once."""
    with path.open(encoding="utf-8") as stream:
        return parse(yaml.safe_load(stream), str(path.name))


def intent_of(name: str) -> str | None:
    """The intent a canonical name signals (None for a name not in the gazetteer)."""
    return next((n.intent for n in names() if n.name == name), None)
