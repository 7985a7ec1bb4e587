"""Find and normalise entity mentions in free text, in the seven supported languages.

Four entities: ``country`` (ISO 3166-1 alpha-2), ``sector``, ``funding_type`` and ``language``
(see ``ENTITY_VALUES``). Pure Python and deterministic: a trie over folded words for Latin,
Cyrillic and Arabic script, a substring dictionary for Chinese. Country names come from CLDR
(Babel) for every country of ``data/m49.csv``; everything else from ``data/lexicon/*.yml``.

Matching folds case, accents, ё, Arabic hamza/alef/ta-marbuta/alef-maqsura variants and
tatweel; understands Russian case endings (generated per word), Arabic proclitics and the
article, and one-letter typos in country names of six letters or more. The longest match wins
and matches never overlap. Indexes are built on first use, once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

import yaml

from hubdata import geo
from hubdata.models import FUNDING_TYPES, SECTORS
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES
from hubdata.text import fold as _fold_text

LEXICON_DIR = PROJECT_ROOT / "data" / "lexicon"
ENTITY_VALUES: dict[str, tuple[str, ...]] = {
    "sector": SECTORS,
    "funding_type": FUNDING_TYPES,
    "language": SUPPORTED_LANGUAGES,
}
_IGNORE = ""  # entity name of phrases that block a match and yield nothing
ITU_NAME = "itu_name"  # a name of data/gazetteer.yml; its value is the canonical name
_RANK = {_IGNORE: 0, "language": 1, "country": 2, "funding_type": 3, "sector": 4, ITU_NAME: 5}
_MAX_GAP = 3  # characters allowed between the words of one phrase ("Congo - Kinshasa")
_MIN_TYPO_LEN = 6
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EntityMatch(NamedTuple):
    """One entity mention: offsets index the original text (``text == original[start:end]``)."""

    entity: str
    value: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Entry:
    entity: str
    value: str
    strict: str = ""  # "upper": in capitals; "title": capital initial; "marks": see _passes
    cue: bool = False  # only right after a word of `cues`
    marks: frozenset[str] = frozenset()  # diacritics written in a "marks" form


def _strict_entry(entity: str, value: str, form: str) -> _Entry:
    """An entry matched only as ``form`` is written: its capitals, or its Arabic diacritics."""
    letters = [c for c in form if c.isalpha()]
    if any(c.isupper() for c in letters):
        kind = "upper" if len(letters) > 1 and all(c.isupper() for c in letters) else "title"
        return _Entry(entity, value, strict=kind)
    marks = frozenset(c for c in unicodedata.normalize("NFD", form) if unicodedata.combining(c))
    return _Entry(entity, value, strict="marks", marks=marks)


# ---------------------------------------------------------------- text folding and tokens

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_TOKEN_RE = re.compile(  # a Chinese run may hold bracketed Chinese: 刚果（金）
    rf"(?P<cjk>[{_CJK}]+(?:[(（][{_CJK}]+[)）][{_CJK}]*)*)|(?:[^\W_{_CJK}]|[{_MARKS}])+"
)
_BRACKETS = str.maketrans("()", "（）")
_CJK_RE = re.compile(rf"[{_CJK}]")
_AR_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Return ``word`` folded for matching (``hubdata.text.fold``, cached per word)."""
    return _fold_text(word)


def _script(folded: str) -> str:
    first = folded[0]
    if "\u0400" <= first <= "\u04ff":
        return "ru"
    if "\u0600" <= first <= "\u06ff":
        return "ar"
    return "latin"


def _arabic_stems(word: str) -> set[str]:
    """Readings of an Arabic word without proclitics (و ف ب ل ك) and without the article."""
    stems = {word}
    for p in _AR_PROCLITICS:
        if word.startswith(p) and len(word) - len(p) >= 2:
            stems.add(word[len(p) :])
    for q in ("", "و", "ف"):  # ل + ال is written لل: للمغرب = ل + المغرب
        if word.startswith(q + "لل") and len(word) - len(q) >= 4:
            stems.add("ال" + word[len(q) + 2 :])
    stems |= {s[2:] for s in stems if s.startswith("ال") and len(s) > 4}
    return stems


# ---------------------------------------------------------------- inflection (build time)

_RU_NOUN = ("", *"а я у ю е и ы ой ей ом ем ам ям ах ях ами ями ов ев ою ею".split())
_RU_ADJ = tuple(
    "ый ий ой ого его ому ему ым им ом ем ая яя ую юю ое ее ые ие ых их ыми ими ей ою ею".split()
)


def _ru_forms(word: str) -> set[str]:
    """Case forms of a Russian word (folded); indeclinable words yield only themselves."""
    if len(word) <= 3:
        return {word}
    forms = {word}
    if word.endswith(("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие")):  # adjectives
        forms |= {word[:-2] + e for e in _RU_ADJ}
        if word.endswith("ий"):  # and nouns such as Маврикий
            forms |= {word[:-1] + e for e in _RU_NOUN}
        return forms
    if (
        word[-1] in "оеуюэ"
        or (word[-1] == "и" and not word.endswith("ии"))
        or (word[-1] == "а" and word[-2] in "аеиоуыэюя")  # Самоа, Гоа
    ):
        return forms
    stem = word[:-1] if word[-1] in "аяьйы" else word
    return forms | {stem + e for e in _RU_NOUN}


def _demonym_forms(lang: str, word: str) -> set[str]:
    """Feminine and plural forms of a demonym given in the masculine singular (folded)."""
    forms = {word}
    if lang == "en":
        forms.add(word + "s")
    elif lang == "fr":
        if word.endswith("ien"):
            forms |= {word + "ne", word + "s", word + "nes"}
        elif word.endswith("e"):
            forms.add(word + "s")
        elif word.endswith(("s", "x")):
            forms |= {word + "e", word + "es"}
        else:
            forms |= {word + "e", word + "s", word + "es"}
    elif lang in ("es", "pt"):
        if word.endswith("o"):
            forms |= {word[:-1] + e for e in ("a", "os", "as")}
        elif word.endswith("es"):
            forms |= {word + e for e in ("a", "es", "as")}
        elif word.endswith("i"):
            forms |= {word + "es", word + "s"}
        else:
            forms.add(word + "s")
    elif lang == "ru":
        forms |= _ru_forms(word)
    elif lang == "ar":
        forms |= {word + e for e in ("ه", "ين", "ون", "ات")}
    return forms


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class _Index:
    trie: dict[str, Any]  # word -> child; "" -> {entity: entry} where a form ends
    cjk: dict[str, dict[str, _Entry]]  # Chinese form -> {entity: entry}
    cjk_lengths: dict[str, list[int]]  # first character -> lengths of its forms, longest first


@dataclass(frozen=True)
class _Lexicon:
    mixed: tuple[tuple[str, _Entry], ...]  # casefolded names mixing Chinese and Latin
    index: _Index
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


def _pattern(text: str) -> tuple[str, ...] | str:
    """Index keys of a form: a tuple of folded words (``word*`` kept), or a Chinese string."""
    if _CJK_RE.search(text):
        if any(c.isalnum() for c in _CJK_RE.sub("", text)):
            raise ValueError(f"mixed Chinese and other script in {text!r}")
        return "".join(c for c in text.translate(_BRACKETS) if c in "（）" or _CJK_RE.match(c))
    keys: list[str] = []
    for chunk in text.split():
        words = [fold(m.group()) for m in _TOKEN_RE.finditer(chunk)]
        if words and chunk.endswith("*"):
            words[-1] += "*"
        keys.extend(words)
    return tuple(keys)


class _Builder:
    def __init__(self) -> None:
        self.trie: dict[str, Any] = {}
        self.forms: dict[str, set[str]] = {}
        self.prefixes: set[str] = set()
        self.cjk: dict[str, dict[str, _Entry]] = {}
        self.words: set[str] = set()
        self.typo_values: dict[str, str] = {}
        self.relaxed: dict[tuple[str, ...], str] = {}

    def index(self) -> _Index:
        lengths: dict[str, set[int]] = {}
        for key in self.cjk:
            lengths.setdefault(key[0], set()).add(len(key))
        cjk_lengths = {c: sorted(ns, reverse=True) for c, ns in lengths.items()}
        return _Index(self.trie, self.cjk, cjk_lengths)

    def add(self, text: str, entry: _Entry, *, typo_target: bool = True) -> None:
        """Index one form; the first entry of an entity at the same key wins.

        A single-word country name with ``typo_target`` also matches one-letter typos.
        """
        key = _pattern(text)
        if not key:
            return
        if isinstance(key, str):
            self.cjk.setdefault(key, {}).setdefault(entry.entity, entry)
            return
        node = self.trie
        for word in key:
            node = node.setdefault(word, {})
            if word.endswith("*"):
                self.prefixes.add(word[:-1])
            else:
                self.words.add(word)
                if _script(word) == "ru":
                    for form in _ru_forms(word):
                        self.forms.setdefault(form, set()).add(word)
        terminal = node.setdefault("", {})
        if terminal.setdefault(entry.entity, entry) is not entry:
            return
        if entry.strict or entry.cue:
            self.relaxed.setdefault(key, entry.value)
        elif typo_target and entry.entity == "country" and len(key) == 1:
            word = key[0]
            forms = {word}
            if _script(word) == "ru":  # the common case forms only: one letter changed/added
                forms |= {f for f in _ru_forms(word) if len(f) <= len(word) + 1}
            for form in forms:
                if len(form) >= _MIN_TYPO_LEN and _script(form) != "ar":
                    self.typo_values.setdefault(form, entry.value)


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
def _lexicon() -> _Lexicon:
    b = _Builder()
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
                b.add(text, _Entry(_IGNORE, ""))
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
                        b.add(text[1:], _strict_entry(entity, value, text[1:]))
                    else:
                        b.add(text, _Entry(entity, value))
        if entity == "language":
            from babel import Locale

            for lang in SUPPORTED_LANGUAGES:
                names = Locale.parse(lang).languages
                for value in SUPPORTED_LANGUAGES:
                    b.add(names[value], _Entry("language", value))

    from hubdata import gazetteer

    mixed: list[tuple[str, _Entry]] = []  # "WSIS论坛": Latin and Chinese in one name
    for name in gazetteer.names():
        for lang, spellings in name.spellings.items():
            for text in _strings(spellings, f"gazetteer {name.name} {lang}"):
                if _CJK_RE.search(text) and any(c.isalnum() for c in _CJK_RE.sub("", text)):
                    mixed.append((text.casefold(), _Entry(ITU_NAME, name.name)))
                else:
                    b.add(text, _Entry(ITU_NAME, name.name))

    for code, forms in (countries.get("strict") or {}).items():
        for text in _strings(forms, f"strict {code}"):
            b.add(text, _strict_entry("country", code, text))
    for code, forms in (countries.get("cue_only") or {}).items():
        for text in _strings(forms, f"cue_only {code}"):
            b.add(text, _Entry("country", code, cue=True))
    excluded = {
        (code, _pattern(t))
        for code, forms in (countries.get("exclude") or {}).items()
        for t in _strings(forms, f"exclude {code}")
    }
    for lang, per_code in (countries.get("aliases") or {}).items():
        for code, forms in per_code.items():
            for text in _strings(forms, f"aliases {lang} {code}"):
                b.add(text, _Entry("country", code))
    for code, name in _country_names(codes):
        if (code, _pattern(name)) not in excluded:
            b.add(name, _Entry("country", code))
    for lang, per_code in (countries.get("demonyms") or {}).items():
        for code, forms in per_code.items():
            for text in _strings(forms, f"demonyms {lang} {code}"):
                *head, last = text.split(" ")
                for form in sorted(_demonym_forms(lang, fold(last))):
                    b.add(" ".join([*head, form]), _Entry("country", code), typo_target=False)

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


# ---------------------------------------------------------------- matching


@lru_cache(maxsize=1 << 16)
def _word(raw: str) -> tuple[str, frozenset[str]]:
    """A word as typed -> its folded form and every trie key it can stand for."""
    folded = fold(raw)
    return folded, _keys(folded)


def _keys(folded: str) -> frozenset[str]:
    lex = _lexicon()
    bases = _arabic_stems(folded) if _script(folded) == "ar" else {folded}
    keys = set(bases)
    for base in bases:
        keys |= lex.forms.get(base, set())
        for n in lex.prefix_lengths:
            if n > len(base):
                break
            if base[:n] in lex.prefixes:
                keys.add(base[:n] + "*")
    return frozenset(keys)


_KEYBOARDS = (
    ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
    ("azertyuiop", "qsdfghjklm", "wxcvbn"),
    ("йцукенгшщзх", "фывапролджэ", "ячсмитьбю"),
)
_SOUND_ALIKE = ("iye", "ck", "sz", "ao", "иые", "ао")


@cache
def _near_letters() -> frozenset[tuple[str, str]]:
    """Letter pairs often typed for each other: keyboard neighbours and sound-alikes."""
    pairs: set[tuple[str, str]] = set()
    for rows in _KEYBOARDS:
        where = {c: (y, x + y / 2) for y, row in enumerate(rows) for x, c in enumerate(row)}
        for a, (ya, xa) in where.items():
            for b, (yb, xb) in where.items():
                if a != b and abs(ya - yb) <= 1 and abs(xa - xb) <= 1:
                    pairs.add((a, b))
    for group in _SOUND_ALIKE:
        pairs |= {(a, b) for a in group for b in group if a != b}
    return frozenset(pairs)


def _one_edit(word: str, name: str) -> bool:
    """Whether ``word`` is a one-letter typo of ``name``.

    A letter left out, doubled or added, two letters swapped, or one replaced by a keyboard
    neighbour or a sound-alike; the first and last letters always right (so that common words
    such as "queria" or "francs" are not read as Quênia or France).
    """
    if word == name or word[0] != name[0] or word[-1] != name[-1]:
        return False
    if len(word) == len(name):
        diffs = [i for i, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
        if len(diffs) == 1:
            return (word[diffs[0]], name[diffs[0]]) in _near_letters()
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and word[diffs[0]] == name[diffs[1]]
            and word[diffs[1]] == name[diffs[0]]
        )
    short, long_ = (word, name) if len(word) < len(name) else (name, word)
    if len(long_) - len(short) != 1:
        return False
    pairs = zip(short, long_[:-1], strict=True)
    i = next((i for i, (a, b) in enumerate(pairs) if a != b), len(short))
    return short[i:] == long_[i + 1 :]


@lru_cache(maxsize=1 << 16)
def _typo_country(folded: str) -> str | None:
    """The country of which ``folded`` is a one-letter typo, if exactly one."""
    lex = _lexicon()
    if len(folded) < _MIN_TYPO_LEN or folded in lex.known_words or not folded.isalpha():
        return None
    if _script(folded) == "ar":
        return None
    names: set[str] = set()
    for variant in {folded} | {folded[:i] + folded[i + 1 :] for i in range(len(folded))}:
        names |= lex.typo_index.get(variant, set())
    values = {lex.typo_values[n] for n in names if _one_edit(folded, n)}
    return values.pop() if len(values) == 1 else None


def _passes(entry: _Entry, span: str, prev_word: str | None, cues: frozenset[str]) -> bool:
    """Check the conditions of a strict or cue-only entry on the span as typed."""
    if entry.strict == "marks":  # عُمان (Oman) is written bare or with its damma, never عمّان
        marks = {c for c in unicodedata.normalize("NFD", span) if unicodedata.combining(c)}
        if not marks <= entry.marks:
            return False
    elif entry.strict:
        letters = [c for c in span if c.isalpha()]
        if entry.strict == "upper" and not all(c.isupper() for c in letters):
            return False
        if entry.strict == "title" and not (letters and letters[0].isupper()):
            return False
    return not entry.cue or (prev_word is not None and prev_word in cues)


class FormIndex:
    """Extra surface forms matched like the lexicon's, such as those learned from training data.

    Args:
        forms: ``(entity, value, surface form)`` triples; a form matches folded like lexicon
            forms (case, accents, Arabic proclitics), but is not inflected or typo-corrected.
    """

    def __init__(self, forms: Iterable[tuple[str, str, str]]) -> None:
        builder = _Builder()
        for entity, value, text in forms:
            builder.add(text, _Entry(entity, value), typo_target=False)
        self._index = builder.index()


def find_entities(text: str, extra: FormIndex | None = None, names: bool = False
                  ) -> list[EntityMatch]:
    """Find every entity mention in ``text``.

    Args:
        text: a message as typed, in any of the supported languages (or a mix).
        extra: more forms to look for, competing with the lexicon's for the longest match.
        names: also return the gazetteer's ITU names (entity ``itu_name``). Either way a
            name takes part in the longest match, so the words inside it are not entities.

    Returns:
        The matches in text order, without overlaps; ``start``/``end`` index ``text``.
    """
    lex = _lexicon()
    indexes = (lex.index,) if extra is None else (lex.index, extra._index)
    found: list[tuple[int, int, int, _Entry]] = []  # start, end, rank, entry
    words: list[tuple[int, int, str, frozenset[str]]] = []  # start, end, folded, trie keys
    for m in _TOKEN_RE.finditer(text):
        if m.lastgroup == "cjk":
            run = m.group().translate(_BRACKETS)
            for index in indexes:
                _scan_cjk(index, run, m.start(), found)
            words.append((m.start(), m.end(), "", frozenset()))  # Chinese breaks phrases
        else:
            words.append((m.start(), m.end(), *_word(m.group())))
    for index in indexes:
        _walk(index.trie, words, text, lex.cues, found)
    if lex.mixed and _CJK_RE.search(text) and len(folded := text.casefold()) == len(text):
        for form, entry in lex.mixed:
            for hit in re.finditer(re.escape(form), folded):
                found.append((hit.start(), hit.end(), _RANK[ITU_NAME], entry))
    matches = _resolve(found, text)
    for start, end, word, _ in words:
        code = _typo_country(word) if word else None
        if code and not any(m.start <= start < m.end for m in matches):
            matches.append(EntityMatch("country", code, start, end, text[start:end]))
    matches.sort(key=lambda m: m.start)
    if not names:
        matches = [m for m in matches if m.entity != ITU_NAME]
    return _merge_neighbours(matches, text)


def _walk(
    root: dict[str, Any],
    words: list[tuple[int, int, str, frozenset[str]]],
    text: str,
    cues: frozenset[str],
    found: list[tuple[int, int, int, _Entry]],
) -> None:
    """Add every trie phrase that starts at some word (Chinese runs and wide gaps stop it)."""
    for i, (start, _, _, keys) in enumerate(words):
        nodes = [root[k] for k in keys if k in root]
        j = i
        while nodes:
            end = words[j][1]
            for node in nodes:
                for entry in node.get("", {}).values():
                    prev_word = words[i - 1][2] if i else None
                    if _passes(entry, text[start:end], prev_word, cues):
                        found.append((start, end, _RANK.get(entry.entity, 5), entry))
            j += 1
            if j == len(words) or not words[j][2] or words[j][0] - end > _MAX_GAP:
                break
            nodes = [n[k] for n in nodes for k in words[j][3] if k in n]


def _merge_neighbours(matches: list[EntityMatch], text: str) -> list[EntityMatch]:
    """Join keywords of one value that follow each other ("energía solar")."""
    out: list[EntityMatch] = []
    for m in matches:
        prev = out[-1] if out else None
        if (
            prev
            and m.entity != "country"
            and (prev.entity, prev.value) == (m.entity, m.value)
            and m.start - prev.end <= 2
            and not text[prev.end : m.start].strip(" -")
        ):
            out[-1] = EntityMatch(m.entity, m.value, prev.start, m.end, text[prev.start : m.end])
        else:
            out.append(m)
    return out


def _scan_cjk(index: _Index, run: str, offset: int, found: list) -> None:
    """Leftmost-longest dictionary matches in a run of Chinese characters."""
    i = 0
    while i < len(run):
        for n in index.cjk_lengths.get(run[i], ()):
            entries = index.cjk.get(run[i : i + n]) if i + n <= len(run) else None
            if entries:
                for entry in entries.values():
                    found.append((offset + i, offset + i + n, _RANK.get(entry.entity, 5), entry))
                i += n
                break
        else:
            i += 1


def _resolve(found: list[tuple[int, int, int, _Entry]], text: str) -> list[EntityMatch]:
    """Keep the longest matches that do not overlap; drop the ignored phrases."""
    chosen: list[tuple[int, int, _Entry]] = []
    for start, end, _, entry in sorted(found, key=lambda f: (f[0] - f[1], f[0], f[2])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, entry))
    return [
        EntityMatch(e.entity, e.value, s, end, text[s:end])
        for s, end, e in chosen
        if e.entity != _IGNORE
    ]


def normalise(entity: str, text: str) -> str | None:
    """Return the normalised value of ``entity`` in a free-text answer, or None.

    Used when the bot has asked for one thing ("Which country?"): the first mention of that
    entity wins, and a bare code ("KE", "fr") or a form that alone would be too ambiguous in
    a sentence ("chad", "usa") is accepted as the whole answer.
    """
    for match in find_entities(text):
        if match.entity == entity:
            return match.value
    answer = text.strip().strip(".!?¿¡。！？")
    if entity == "country":
        if len(answer) == 2 and answer.isascii() and geo.is_country(answer):
            return answer.upper()
        key = _pattern(answer) if answer else ()
        return _lexicon().relaxed.get(key) if isinstance(key, tuple) else None
    if answer.casefold() in ENTITY_VALUES.get(entity, ()):
        return answer.casefold()
    return None
