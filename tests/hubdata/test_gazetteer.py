"""The gazetteer of ITU's names: checked when read, matched by the lexicon in every language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hubdata import gazetteer
from hubdata.lexicon.entries import ITU_NAME
from hubdata.lexicon.matching import find_entities
from hubdata.settings import SUPPORTED_LANGUAGES


def test_every_entry_names_a_known_intent_a_source_and_all_languages() -> None:
    domain = yaml.safe_load((Path(__file__).parents[2] / "nlu" / "domain.yml").read_text(
        encoding="utf-8"))
    names = gazetteer.names()
    assert len(names) >= 12
    for name in names:
        assert name.intent in domain["intents"], name
        assert name.source.startswith("https://")
        assert all(name.spellings[lang] for lang in SUPPORTED_LANGUAGES), name.name


@pytest.mark.parametrize(("raw", "problem"), [
    ({"entries": [{"name": "X", "intent": "ask_events", "source": "http://x",
                   "spellings": {}}]}, "https"),
    ({"entries": [{"name": "X", "intent": "ask_events", "source": "https://x",
                   "spellings": {"en": ["X"]}}]}, "no spellings in fr"),
    ({"entries": [{"name": "", "intent": "ask_events"}]}, "name and an intent"),
    ([], "a mapping"),
])
def test_a_bad_entry_is_refused_with_where_it_is(raw: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        gazetteer.parse(raw, "g.yml")


@pytest.mark.parametrize(("text", "name"), [
    ("when is the next wsis forum", "WSIS Forum"),
    ("wsis论坛什么时候开", "WSIS Forum"),
    ("ITU学院有中文课程吗", "ITU Academy"),
    ("بأكاديمية الاتحاد الدولي للاتصالات", "ITU Academy"),
    ("l'academie de l'UIT a des cours ?", "ITU Academy"),
    ("Girls in ICT day events in Kenya", "International Girls in ICT Day"),
])
def test_names_are_found_as_founders_type_them(text: str, name: str) -> None:
    found = [m.value for m in find_entities(text, names=True)
             if m.entity == ITU_NAME]
    assert found == [name]
    assert gazetteer.intent_of(name) in ("ask_events", "ask_training")


def test_words_inside_a_name_are_not_entities_and_names_are_not_returned_by_default() -> None:
    text = "يوم الفتيات في مجال تكنولوجيا المعلومات والاتصالات فيه أنشطة بمصر؟"
    # "الاتصالات" (telecommunications) alone is the connectivity sector; inside the name it
    # is not, and only the country remains.
    assert [(m.entity, m.value) for m in find_entities(text)] == [("country", "EG")]
    assert [(m.entity, m.value) for m in find_entities("الاتصالات في مصر")] == [
        ("sector", "connectivity"), ("country", "EG")]
