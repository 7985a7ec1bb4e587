"""Telling a follow-up ("and in Uganda?", "et au Ghana ?") from a new question.

Shared by the NLU (which marks such messages as needing context) and the actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from hubdata.text import fold

# Words that carry no topic: conjunctions, prepositions, "what about", "how about", in the
# seven languages (folded: lower case, no accents).
FILLER = frozenset(
    """
    and or in for from at to of the a an what about how also then ok okay please pls plz
    now there here same too again so but with any is are
    et ou en au aux a pour de des du le la les l d quoi et pour ca aussi alors svp stp dans sur
    y o en para de del la el los las que tal con y sobre tambien entonces por porfa favor
    e ou em no na nos nas para de do da dos das que tal com sobre tambem entao por favor
    и или в во на для из о об а что как насчет про тоже также тогда по ну
    و او في فى ل من عن ماذا وماذا ماذا عن كذلك ايضا ب
    """.split()
)
_CJK_FILLER = re.compile("[那么呢和在的还有也吗呀啊关于怎么样如何]")
_WORD = re.compile(r"\w+", re.UNICODE)


def remainder(text: str, entities: Iterable[Mapping[str, Any]]) -> list[str]:
    """The words of ``text`` left after removing entity spans and filler words."""
    spans = sorted(
        (int(e["start"]), int(e["end"]))
        for e in entities
        if e.get("start") is not None and e.get("end") is not None
    )
    kept, cursor = [], 0
    for start, end in spans:
        kept.append(text[cursor:start])
        cursor = max(cursor, end)
    kept.append(text[cursor:])
    rest = _CJK_FILLER.sub(" ", fold(" ".join(kept)))
    return [w for w in _WORD.findall(rest) if w not in FILLER and not w.isdigit()]


def is_elliptical(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when the message names only search details (and filler words)."""
    entities = list(entities)
    if not any(e.get("entity") in ("country", "sector", "funding_type") for e in entities):
        return False
    return not remainder(text, entities)


def is_follow_up(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """True when the message cannot name its topic and continues the last one.

    A funding type names the topic itself ("any grants in Kenya?", "what about loans?"), so a
    message with one is a funding question, not a follow-up of whatever came before.
    """
    entities = list(entities)
    if any(e.get("entity") == "funding_type" for e in entities):
        return False
    return is_elliptical(text, entities)
