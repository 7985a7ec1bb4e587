"""Generate inflected forms at build time: Russian case endings and demonym forms."""

from __future__ import annotations

_RU_NOUN = ("", *"а я у ю е и ы ой ей ом ем ам ям ах ях ами ями ов ев ою ею".split())
_RU_ADJ = tuple(
    "ый ий ой ого его ому ему ым им ом ем ая яя ую юю ое ее ые ие ых их ыми ими ей ою ею".split()
)


def ru_forms(word: str) -> set[str]:
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


def demonym_forms(lang: str, word: str) -> set[str]:
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
        forms |= ru_forms(word)
    elif lang == "ar":
        forms |= {word + e for e in ("ه", "ين", "ون", "ات")}
    return forms
