"""Recognise one-letter typos of country names: keyboard neighbours, sound-alikes, swaps."""

from __future__ import annotations

from functools import cache, lru_cache

from hubdata.lexicon.build import get_lexicon
from hubdata.lexicon.index import MIN_TYPO_LEN
from hubdata.lexicon.tokens import script_of

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
def typo_country(folded: str) -> str | None:
    """The country of which ``folded`` is a one-letter typo, if exactly one."""
    lex = get_lexicon()
    if len(folded) < MIN_TYPO_LEN or folded in lex.known_words or not folded.isalpha():
        return None
    if script_of(folded) == "ar":
        return None
    names: set[str] = set()
    for variant in {folded} | {folded[:i] + folded[i + 1 :] for i in range(len(folded))}:
        names |= lex.typo_index.get(variant, set())
    values = {lex.typo_values[n] for n in names if _one_edit(folded, n)}
    return values.pop() if len(values) == 1 else None
