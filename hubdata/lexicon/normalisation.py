"""Read the value of one asked-for entity from a free-text answer ("Which country?")."""

from __future__ import annotations

from hubdata import geo
from hubdata.lexicon.build import get_lexicon
from hubdata.lexicon.entries import ENTITY_VALUES
from hubdata.lexicon.index import form_pattern
from hubdata.lexicon.matching import find_entities


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
        key = form_pattern(answer) if answer else ()
        return get_lexicon().relaxed.get(key) if isinstance(key, tuple) else None
    if answer.casefold() in ENTITY_VALUES.get(entity, ()):
        return answer.casefold()
    return None
