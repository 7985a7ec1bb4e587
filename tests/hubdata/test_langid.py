"""Detection of the seven supported languages (hubdata.langid)."""

from __future__ import annotations

import pytest

from hubdata import langid
from hubdata.settings import SUPPORTED_LANGUAGES

SENTENCES = {
    "en": "I am looking for funding for my agritech startup in Kenya",
    "fr": "Je cherche un financement pour ma startup au Sénégal",
    "es": "Estoy buscando financiamiento para mi empresa en Perú",
    "pt": "Estou à procura de financiamento para a minha startup em Angola",
    "ar": "أبحث عن تمويل لشركتي الناشئة في مصر",
    "ru": "Я ищу финансирование для своего стартапа в Казахстане",
    "zh": "我正在为我在肯尼亚的农业科技初创公司寻找资金",
}


def test_sentences_cover_every_language() -> None:
    assert set(SENTENCES) == set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(("lang", "text"), sorted(SENTENCES.items()))
def test_confident_detection_of_a_sentence(lang: str, text: str) -> None:
    detection = langid.detect(text)
    assert detection.language == lang
    assert detection.confidence >= langid.MIN_CONFIDENCE


@pytest.mark.parametrize("text", ["ok", "merci", "gracias", "obrigado", "hello", "Kenya?"])
def test_short_latin_text_is_undecided(text: str) -> None:
    assert langid.detect(text).language is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [("شكرا", "ar"), ("مصر؟", "ar"), ("да", "ru"), ("привет!", "ru"), ("谢谢", "zh"),
     ("你好 ok", "zh")],
)
def test_short_non_latin_text_is_settled_by_script(text: str, lang: str) -> None:
    assert langid.detect(text).language == lang


def test_one_non_latin_letter_is_not_enough() -> None:
    assert langid.detect("я").language is None


def test_urls_and_mentions_are_ignored() -> None:
    assert langid.detect("https://www.example.org/funding/applications/open").language is None
    text = "@someone " + SENTENCES["fr"] + " https://example.com/some/english/words"
    assert langid.detect(text).language == "fr"


def test_confidently_unsupported_language_gives_none() -> None:
    detection = langid.detect("Ich suche eine Finanzierung für mein Startup in Deutschland")
    assert detection.language is None


@pytest.mark.parametrize(
    "text",
    ["ok", "merci", "hallo", "xq zv", "Kenya", "Ich suche eine Finanzierung", "ja", "да",
     *SENTENCES.values()],
)
def test_guess_always_returns_a_supported_language(text: str) -> None:
    assert langid.guess(text) in SUPPORTED_LANGUAGES


def test_guess_agrees_with_a_confident_detection() -> None:
    for lang, text in SENTENCES.items():
        assert langid.guess(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "123 456", "!!! ???", "https://example.org/x"])
def test_no_letters_no_language(text: str) -> None:
    assert langid.detect(text).language is None
    assert langid.guess(text) is None


@pytest.mark.parametrize(("text", "other"), [
    ("habari, natafuta mkopo kwa biashara yangu ya kilimo", "sw"),
    ("मुझे अपने स्टार्टअप के लिए फंडिंग चाहिए", "hi"),
    ("I need funding for my startup in Kenya", None),  # ours
    ("funding для стартапа في مصر 融资", None),  # mixed, and our scripts are in it
    ("🙂🚀🔥", None),
    ("?!?!...", None),
    ("habari", None),  # too short to tell
])
def test_a_language_we_do_not_serve_is_named_only_when_sure(text: str, other: str | None
                                                           ) -> None:
    assert langid.other_language(text) == other
    if other:
        assert langid.detect(text).language is None
