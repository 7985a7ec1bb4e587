"""Simulated founders: what each one says, turn by turn (pure: no I/O besides loading phrases).

A conversation is a list of steps drawn with a seeded random generator from
``bench/phrases.yml``: an opener, a topic question naming a country and often a sector, a
follow-up about another country, a button press (the next page of results, else the first
button offered), sometimes a second topic or a side question, then thanks and goodbye.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hubdata.settings import SUPPORTED_LANGUAGES

PHRASES_FILE = Path(__file__).resolve().parent / "phrases.yml"
TEXT, COMMAND, CLICK = "text", "command", "click"
NEXT_PAGE_MARK = "▶"  # every language's "next page" label ends with it (locales, page.next)


@dataclass(frozen=True)
class Step:
    """One thing a founder does: send a text or a command, or press a button.

    Attributes:
        kind: ``text``, ``command`` or ``click``.
        label: What the step is, for the report (``greet``, ``topic:funding``, ``follow_up``...).
        text: The message (empty for a click).
    """

    kind: str
    label: str
    text: str = ""


@cache
def load_phrases(path: Path = PHRASES_FILE) -> dict[str, dict[str, Any]]:
    """The phrases of every supported language; raise ValueError if one is missing."""
    with open(path, encoding="utf-8") as stream:
        phrases: dict[str, dict[str, Any]] = yaml.safe_load(stream)
    missing = [lang for lang in SUPPORTED_LANGUAGES if lang not in phrases]
    if missing:
        raise ValueError(f"{path.name} has no phrases for {', '.join(missing)}")
    return phrases


def _fill(
    rng: random.Random, template: str, words: dict[str, Any], avoid_country: str | None = None
) -> tuple[str, str]:
    countries = [c for c in words["countries"] if c != avoid_country] or words["countries"]
    country = rng.choice(countries)
    return template.format(country=country, sector=rng.choice(words["sectors"])), country


def conversation(
    rng: random.Random, lang: str, phrases: dict[str, dict[str, Any]] | None = None
) -> list[Step]:
    """Draw one multi-turn conversation in ``lang``.

    Args:
        rng: The founder's random generator (seeded by the caller, so runs repeat).
        lang: A supported language code.
        phrases: Phrases by language (default: ``bench/phrases.yml``).

    Returns:
        The steps, always including at least one topic question.
    """
    words = (phrases or load_phrases())[lang]
    steps: list[Step] = []
    opener = rng.random()
    if opener < 0.25:
        steps.append(Step(COMMAND, "start", "/start"))
    elif opener < 0.80:
        steps.append(Step(TEXT, "greet", rng.choice(words["greet"])))
    topic = rng.choice(sorted(words["topics"]))
    text, country = _fill(rng, rng.choice(words["topics"][topic]), words)
    steps.append(Step(TEXT, f"topic:{topic}", text))
    if rng.random() < 0.65:
        follow_up, _ = _fill(rng, rng.choice(words["follow_up"]), words, avoid_country=country)
        steps.append(Step(TEXT, "follow_up", follow_up))
    if rng.random() < 0.60:
        steps.append(Step(CLICK, "click"))
    if rng.random() < 0.40:
        second = rng.choice(sorted(set(words["topics"]) - {topic}))
        text, _ = _fill(rng, rng.choice(words["topics"][second]), words)
        steps.append(Step(TEXT, f"topic:{second}", text))
    side = rng.random()
    if side < 0.15:
        steps.append(Step(TEXT, "side_question", rng.choice(words["misc"])))
    elif side < 0.17:
        # From here staff answer, not the bot (and only when they choose to): the founder's
        # part of the conversation ends with the request.
        steps.append(Step(COMMAND, "human", "/human"))
        return steps
    if rng.random() < 0.75:
        steps.append(Step(TEXT, "thanks", rng.choice(words["thanks"])))
    if rng.random() < 0.35:
        steps.append(Step(TEXT, "goodbye", rng.choice(words["goodbye"])))
    return steps


def choose_button(buttons: list[tuple[str, str]]) -> str | None:
    """The callback data a founder presses: the next page if offered, else the first button.

    Args:
        buttons: (label, callback_data) of the latest inline keyboard in the chat, in order.

    Returns:
        The callback data, or None when there is no button to press.
    """
    for label, data in buttons:
        if label.endswith(NEXT_PAGE_MARK):
            return data
    return buttons[0][1] if buttons else None


def parse_texts(
    per_language: int, seed: int = 7, phrases: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Founder messages for timing the NLU alone: ``per_language`` in each language, mixed.

    Args:
        per_language: Texts drawn per language.
        seed: Seed of the draw.
        phrases: Phrases by language (default: ``bench/phrases.yml``).

    Returns:
        The texts, languages interleaved.
    """
    rng = random.Random(seed)
    phrases = phrases or load_phrases()
    by_language = []
    for lang in SUPPORTED_LANGUAGES:
        texts: list[str] = []
        while len(texts) < per_language:
            texts += [s.text for s in conversation(rng, lang, phrases) if s.kind == TEXT]
        by_language.append(texts[:per_language])
    return [text for group in zip(*by_language, strict=True) for text in group]
