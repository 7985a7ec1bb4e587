"""Build the lexicon once, from ``data/lexicon/*.yml``, the gazetteer and CLDR country names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from hubdata import geo
from hubdata.lexicon.entries import ENTITY_VALUES, IGNORE, ITU_NAME, Entry, strict_entry
from hubdata.lexicon.index import Builder, Index, form_pattern
from hubdata.lexicon.inflection import demonym_forms
from hubdata.lexicon.tokens import CJK_RE, fold
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

LEXICON_DIR = PROJECT_ROOT / "data" / "lexicon"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class _Lexicon:
    mixed: tuple[tuple[str, Entry], ...]  # casefolded names mixing Chinese and Latin
    index: Index
    forms: dict[str, set[str]]  # Russian case form -> the word as written in the lexicon
    prefixes: set[str]  # word* keywords, without the star
    prefix_lengths: list[int]
    cues: frozenset[str]
    typo_index: dict[str, set[str]]  # a country word and each deletion of it -> country words
    typo_values: dict[str, str]  # country word -> ISO code
    known_words: frozenset[str]
    relaxed: dict[tuple[str, ...], str]  # strict / cue-only country forms, for normalise()


def _read(name: str) -> dict[str, Any]:
    with (LEXICON_DIR / name).open(encoding="utf-8") as f:
        return yaml.load(f, Loader=_YAML_LOADER) or {}


def _strings(values: Iterable[Any] | None, where: str) -> list[str]:
    out = []
    for v in values or ():
        if not isinstance(v, str):  # YAML 1.1 reads a bare no/yes/on as a boolean
            raise ValueError(f"{where}: {v!r} is not a string; quote it")
        out.append(v)
    return out


def _country_names(codes: list[str]) -> Iterable[tuple[str, str]]:
    """(code, name) from CLDR in the seven languages and the UN English names."""
    from babel import Locale

    and_words = {"en": "and", "fr": "et", "es": "y", "pt": "e", "ru": "и", "ar": "و", "zh": ""}
    for lang in SUPPORTED_LANGUAGES:
        names = Locale.parse(lang).territories
        for code in codes:
            name = names.get(code)
            if not name:
                continue
            base = re.sub(r"\s*\([^)]*\)", "", name).strip()
            yield code, name if lang == "zh" else base
            if "&" in base:
                yield code, base.replace("&", f" {and_words[lang]} ")
            if base.startswith("St. "):
                yield code, "Saint " + base[4:]
    for code in codes:
        un_name = geo.country(code).name_en
        if "," not in un_name:
            yield code, re.sub(r"\s*\([^)]*\)", "", un_name).strip()


@cache
def get_lexicon() -> _Lexicon:
    b = Builder()
    countries = _read("countries.yml")
    codes = geo.countries()
    for entity, fname in (
        ("language", "languages.yml"),
        ("country", None),
        ("funding_type", "funding_types.yml"),
        ("sector", "sectors.yml"),
    ):
        data = countries if fname is None else _read(fname)
        for lang, phrases in (data.get("ignore") or {}).items():
            for text in _strings(phrases, f"{entity} ignore {lang}"):
                b.add(text, Entry(IGNORE, ""))
        if entity == "country":
            continue
        for value, per_lang in data.items():
            if value == "ignore":
                continue
            if value not in ENTITY_VALUES[entity]:
                raise ValueError(f"{fname}: unknown {entity} value {value!r}")
            for lang, words in per_lang.items():
                for text in _strings(words, f"{fname} {value} {lang}"):
                    if text.startswith("!"):  # case-sensitive: "!VC" is not Portuguese "vc"
                        b.add(text[1:], strict_entry(entity, value, text[1:]))
                    else:
                        b.add(text, Entry(entity, value))
        if entity == "language":
            from babel import Locale

            for lang in SUPPORTED_LANGUAGES:
                names = Locale.parse(lang).languages
                for value in SUPPORTED_LANGUAGES:
                    b.add(names[value], Entry("language", value))

    from hubdata import gazetteer

    mixed: list[tuple[str, Entry]] = []  # "WSIS论坛": Latin and Chinese in one name
    for itu in gazetteer.names():
        for lang, spellings in itu.spellings.items():
            for text in _strings(spellings, f"gazetteer {itu.name} {lang}"):
                if CJK_RE.search(text) and any(c.isalnum() for c in CJK_RE.sub("", text)):
                    mixed.append((text.casefold(), Entry(ITU_NAME, itu.name)))
                else:
                    b.add(text, Entry(ITU_NAME, itu.name))

    for code, forms in (countries.get("strict") or {}).items():
        for text in _strings(forms, f"strict {code}"):
            b.add(text, strict_entry("country", code, text))
    for code, forms in (countries.get("cue_only") or {}).items():
        for text in _strings(forms, f"cue_only {code}"):
            b.add(text, Entry("country", code, cue=True))
    excluded = {
        (code, form_pattern(t))
        for code, forms in (countries.get("exclude") or {}).items()
        for t in _strings(forms, f"exclude {code}")
    }
    for lang, per_code in (countries.get("aliases") or {}).items():
        for code, forms in per_code.items():
            for text in _strings(forms, f"aliases {lang} {code}"):
                b.add(text, Entry("country", code))
    for code, name in _country_names(codes):
        if (code, form_pattern(name)) not in excluded:
            b.add(name, Entry("country", code))
    for lang, per_code in (countries.get("demonyms") or {}).items():
        for code, forms in per_code.items():
            for text in _strings(forms, f"demonyms {lang} {code}"):
                *head, last = text.split(" ")
                for form in sorted(demonym_forms(lang, fold(last))):
                    b.add(" ".join([*head, form]), Entry("country", code), typo_target=False)

    typo_index: dict[str, set[str]] = {}
    for word in b.typo_values:
        for variant in {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}:
            typo_index.setdefault(variant, set()).add(word)
    not_typos = {fold(w) for w in _strings(countries.get("not_typos"), "not_typos")}
    return _Lexicon(
        mixed=tuple(mixed),
        index=b.index(),
        forms=b.forms,
        prefixes=b.prefixes,
        prefix_lengths=sorted({len(p) for p in b.prefixes}),
        cues=frozenset(fold(c) for c in _strings(countries.get("cues"), "cues")),
        typo_index=typo_index,
        typo_values=b.typo_values,
        known_words=frozenset(b.words | b.forms.keys() | not_typos),
        relaxed=b.relaxed,
    )
