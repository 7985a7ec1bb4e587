"""Script-aware text folding shared by the NLU components, the actions and the lexicon."""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                             "ؤ": "و", "ئ": "ي"})


def fold(text: str) -> str:
    """Casefold, strip Latin accents, unify Arabic letter variants and Russian ё."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("ё", "е")
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_MAP)
    out: list[str] = []
    latin_base = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn":
            if not latin_base:  # keep marks on non-Latin letters (Cyrillic й)
                out.append(char)
            continue
        latin_base = char < "\u0250" and char.isalpha()
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def is_han(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
    )
