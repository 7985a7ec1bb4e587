"""The held-out NLU test split: complete, well annotated, and independent of the training data.

The held-out examples live in tests/nlu/heldout/<lang>.yml and were written separately from the
training data in nlu/data/. A held-out example that is an exact or near duplicate of a training
example (see near_duplicates.py) makes evaluation scores meaningless, so it must be rewritten.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

try:
    from . import near_duplicates as nd
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    import near_duplicates as nd

REPO_ROOT = Path(__file__).resolve().parents[2]
HELDOUT_DIR = REPO_ROOT / "tests" / "nlu" / "heldout"
TRAINING_DIR = REPO_ROOT / "nlu" / "data"

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh", "pt")
INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "help",
        "ask_funding",
        "ask_mentor",
        "ask_membership",
        "ask_events",
        "ask_partnership",
        "ask_hubs",
        "ask_training",
        "request_human",
        "change_language",
        "out_of_scope",
        "smalltalk",
        "abuse",
    }
)
MIN_EXAMPLES_PER_INTENT = 8

ENTITY_VALUES: dict[str, frozenset[str] | re.Pattern[str]] = {
    "country": re.compile(r"[A-Z]{2}"),
    "sector": frozenset(
        {
            "agritech",
            "fintech",
            "healthtech",
            "edtech",
            "cleantech",
            "ecommerce",
            "logistics",
            "connectivity",
            "govtech",
            "other",
        }
    ),
    "funding_type": frozenset({"grant", "equity", "loan", "prize"}),
    "language": frozenset(LANGUAGES),
}


@dataclass(frozen=True)
class Example:
    """One NLU example and where it came from."""

    source: str
    intent: str
    text: str
    entities: tuple[tuple[str, str, str], ...]  # (entity, value, span as typed)


def _relative(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


@cache
def load_examples(path: Path) -> tuple[Example, ...]:
    """Load the intent examples of one Rasa NLU file with Rasa's own loader."""
    from rasa.shared.nlu.training_data.loading import load_data

    source = _relative(path)
    examples = []
    for message in load_data(str(path)).training_examples:
        text = message.get("text")
        entities = tuple(
            (e["entity"], str(e.get("value")), text[e["start"] : e["end"]])
            for e in message.get("entities") or ()
        )
        examples.append(Example(source, message.get("intent"), text, entities))
    return tuple(examples)


def heldout_examples() -> list[Example]:
    """All held-out examples, every language."""
    return [ex for lang in LANGUAGES for ex in load_examples(HELDOUT_DIR / f"{lang}.yml")]


def training_files() -> list[Path]:
    """Every YAML file under nlu/data/, sorted."""
    if not TRAINING_DIR.is_dir():
        return []
    return sorted(p for p in TRAINING_DIR.rglob("*") if p.suffix in {".yml", ".yaml"})


def _describe(example: Example) -> str:
    return f"{example.source} [{example.intent}] {example.text!r}"


def _format_pairs(pairs: list[nd.DuplicatePair], left: list[Example], right: list[Example]) -> str:
    lines = []
    for pair in pairs:
        kind = "exact" if pair.exact else f"J={pair.similarity:.2f}"
        lines.append(
            f"  {kind}: {_describe(left[pair.query_index])}\n"
            f"      ~ {_describe(right[pair.reference_index])}"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_heldout_covers_every_intent(lang: str) -> None:
    path = HELDOUT_DIR / f"{lang}.yml"
    assert path.is_file(), f"missing held-out file {_relative(path)}"
    counts = Counter(ex.intent for ex in load_examples(path))
    assert set(counts) == INTENTS, (
        f"{lang}: missing {sorted(INTENTS - set(counts))}, unknown {sorted(set(counts) - INTENTS)}"
    )
    too_few = {i: n for i, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT}
    assert not too_few, f"{lang}: fewer than {MIN_EXAMPLES_PER_INTENT} examples: {too_few}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_heldout_entities_use_normalised_values(lang: str) -> None:
    bad = []
    for ex in load_examples(HELDOUT_DIR / f"{lang}.yml"):
        for entity, value, span in ex.entities:
            allowed = ENTITY_VALUES.get(entity)
            if allowed is None:
                bad.append(f"unknown entity {entity!r} on {span!r} in {ex.text!r}")
            elif isinstance(allowed, re.Pattern):
                if not allowed.fullmatch(value):
                    bad.append(f"{entity}={value!r} on {span!r} in {ex.text!r}")
            elif value not in allowed:
                bad.append(f"{entity}={value!r} on {span!r} in {ex.text!r}")
    assert not bad, f"{lang}:\n" + "\n".join(bad)


def test_heldout_has_no_internal_near_duplicates() -> None:
    examples = heldout_examples()
    texts = [ex.text for ex in examples]
    pairs = [p for p in nd.find_near_duplicates(texts, texts) if p.query_index < p.reference_index]
    assert not pairs, "near-duplicates inside the held-out split:\n" + _format_pairs(
        pairs, examples, examples
    )


def test_no_near_duplicates_with_training_data() -> None:
    files = training_files()
    if not files:
        pytest.fail(
            f"no training data under {_relative(TRAINING_DIR)}/: "
            "the held-out split cannot be checked for leakage"
        )
    training = [ex for path in files for ex in load_examples(path)]
    if not training:
        pytest.fail(f"the files under {_relative(TRAINING_DIR)}/ hold no intent examples")
    heldout = heldout_examples()
    pairs = nd.find_near_duplicates(
        [ex.text for ex in heldout],
        [ex.text for ex in training],
        threshold=nd.DEFAULT_THRESHOLD,
        n=nd.DEFAULT_NGRAM,
    )
    assert not pairs, (
        f"{len(pairs)} held-out examples duplicate training examples "
        f"(exact or {nd.DEFAULT_NGRAM}-gram Jaccard >= {nd.DEFAULT_THRESHOLD}); "
        "rewrite the held-out ones:\n" + _format_pairs(pairs, heldout, training)
    )
