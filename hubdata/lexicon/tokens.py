"""Split text into words and fold them for matching, in Latin, Cyrillic, Arabic and Chinese."""

from __future__ import annotations

import re
from functools import lru_cache

from hubdata.text import fold as _fold_text

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
TOKEN_RE = re.compile(  # a Chinese run may hold bracketed Chinese: 刚果（金）
    rf"(?P<cjk>[{_CJK}]+(?:[(（][{_CJK}]+[)）][{_CJK}]*)*)|(?:[^\W_{_CJK}]|[{_MARKS}])+"
)
BRACKETS = str.maketrans("()", "（）")
CJK_RE = re.compile(rf"[{_CJK}]")
_AR_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Return ``word`` folded for matching (``hubdata.text.fold``, cached per word)."""
    return _fold_text(word)


def script_of(folded: str) -> str:
    first = folded[0]
    if "\u0400" <= first <= "\u04ff":
        return "ru"
    if "\u0600" <= first <= "\u06ff":
        return "ar"
    return "latin"


def arabic_stems(word: str) -> set[str]:
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

