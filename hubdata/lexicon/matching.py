"""Find every entity mention in a text: the longest matches, never overlapping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from hubdata.lexicon.build import get_lexicon
from hubdata.lexicon.entries import IGNORE, ITU_NAME, Entry
from hubdata.lexicon.index import Builder, Index
from hubdata.lexicon.tokens import BRACKETS, CJK_RE, TOKEN_RE, arabic_stems, fold, script_of
from hubdata.lexicon.typos import typo_country

_RANK = {IGNORE: 0, "language": 1, "country": 2, "funding_type": 3, "sector": 4, ITU_NAME: 5}
_MAX_GAP = 3  # characters allowed between the words of one phrase ("Congo - Kinshasa")


class EntityMatch(NamedTuple):
    """One entity mention: offsets index the original text (``text == original[start:end]``)."""

    entity: str
    value: str
    start: int
    end: int
    text: str


@lru_cache(maxsize=1 << 16)
def _word(raw: str) -> tuple[str, frozenset[str]]:
    """A word as typed -> its folded form and every trie key it can stand for."""
    folded = fold(raw)
    return folded, _keys(folded)


def _keys(folded: str) -> frozenset[str]:
    lex = get_lexicon()
    bases = arabic_stems(folded) if script_of(folded) == "ar" else {folded}
    keys = set(bases)
    for base in bases:
        keys |= lex.forms.get(base, set())
        for n in lex.prefix_lengths:
            if n > len(base):
                break
            if base[:n] in lex.prefixes:
                keys.add(base[:n] + "*")
    return frozenset(keys)


def _passes(entry: Entry, span: str, prev_word: str | None, cues: frozenset[str]) -> bool:
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
        builder = Builder()
        for entity, value, text in forms:
            builder.add(text, Entry(entity, value), typo_target=False)
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
    lex = get_lexicon()
    indexes = (lex.index,) if extra is None else (lex.index, extra._index)
    found: list[tuple[int, int, int, Entry]] = []  # start, end, rank, entry
    words: list[tuple[int, int, str, frozenset[str]]] = []  # start, end, folded, trie keys
    for m in TOKEN_RE.finditer(text):
        if m.lastgroup == "cjk":
            run = m.group().translate(BRACKETS)
            for index in indexes:
                _scan_cjk(index, run, m.start(), found)
            words.append((m.start(), m.end(), "", frozenset()))  # Chinese breaks phrases
        else:
            words.append((m.start(), m.end(), *_word(m.group())))
    for index in indexes:
        _walk(index.trie, words, text, lex.cues, found)
    if lex.mixed and CJK_RE.search(text) and len(folded := text.casefold()) == len(text):
        for form, entry in lex.mixed:
            for hit in re.finditer(re.escape(form), folded):
                found.append((hit.start(), hit.end(), _RANK[ITU_NAME], entry))
    matches = _resolve(found, text)
    for start, end, word, _ in words:
        code = typo_country(word) if word else None
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
    found: list[tuple[int, int, int, Entry]],
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


def _scan_cjk(index: Index, run: str, offset: int, found: list) -> None:
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


def _resolve(found: list[tuple[int, int, int, Entry]], text: str) -> list[EntityMatch]:
    """Keep the longest matches that do not overlap; drop the ignored phrases."""
    chosen: list[tuple[int, int, Entry]] = []
    for start, end, _, entry in sorted(found, key=lambda f: (f[0] - f[1], f[0], f[2])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, entry))
    return [
        EntityMatch(e.entity, e.value, s, end, text[s:end])
        for s, end, e in chosen
        if e.entity != IGNORE
    ]
