"""Near-duplicate detection between NLU example sets (e.g. held-out split vs. training data).

Texts are normalised (entity markup removed, casefolded, accents and punctuation stripped,
whitespace collapsed) and compared by the Jaccard similarity of their character n-gram sets.
:func:`find_near_duplicates` uses an inverted index with prefix filtering, so comparing a few
thousand examples against a few thousand others takes well under a second.

Pure standard library, so the maintainer CLI uses it without Rasa: ``nlu annotate`` refuses to
train on a held-out example, and tests/nlu/test_heldout_split.py checks the split with it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_NGRAM = 4
DEFAULT_THRESHOLD = 0.8

# Rasa entity markup: [text]{"entity": ...} (JSON style) and [text](entity) / [text](entity:value).
_ENTITY_JSON = re.compile(r"\[([^\[\]]*)\]\{[^{}]*\}")
_ENTITY_PAREN = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_SPACES = re.compile(r"\s+")


def strip_entity_markup(text: str) -> str:
    """Replace Rasa entity annotations by the annotated text.

    Args:
        text: An NLU example, possibly with ``[span]{...}`` or ``[span](...)`` markup.

    Returns:
        The text as the user would have typed it.
    """
    text = _ENTITY_JSON.sub(r"\1", text)
    return _ENTITY_PAREN.sub(r"\1", text)


def normalise(text: str) -> str:
    """Normalise an example for duplicate detection.

    Removes entity markup, casefolds, strips accents and other combining marks (also Arabic
    diacritics and hamza marks), replaces punctuation by spaces and collapses whitespace.

    Args:
        text: An NLU example, with or without entity markup.

    Returns:
        The normalised text (possibly empty).
    """
    text = unicodedata.normalize("NFKD", strip_entity_markup(text).casefold())
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category.startswith("M"):
            continue
        kept.append(" " if category.startswith("P") else char)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", "".join(kept))).strip()


def shingles(normalised: str, n: int = DEFAULT_NGRAM) -> frozenset[str]:
    """Character n-grams of an already normalised text.

    A non-empty text shorter than ``n`` is its own single shingle, so short messages still
    compare equal to themselves and different to everything else.

    Args:
        normalised: Output of :func:`normalise`.
        n: The n-gram length.

    Returns:
        The set of n-grams (empty for an empty text).
    """
    if len(normalised) < n:
        return frozenset([normalised]) if normalised else frozenset()
    return frozenset(normalised[i : i + n] for i in range(len(normalised) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (0.0 when both are empty).

    Args:
        a: First set.
        b: Second set.

    Returns:
        ``|a & b| / |a | b|``.
    """
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(frozen=True)
class DuplicatePair:
    """A pair of near-duplicate examples.

    Attributes:
        query_index: Index of the example in the ``queries`` sequence.
        reference_index: Index of the example in the ``references`` sequence.
        similarity: Jaccard similarity of the shingle sets (1.0 for exact matches).
        exact: True when the normalised texts are identical.
    """

    query_index: int
    reference_index: int
    similarity: float
    exact: bool


def _prefix_length(size: int, threshold: float) -> int:
    """Number of rarest shingles that must contain a shared one if Jaccard >= threshold."""
    return size - math.ceil(threshold * size - 1e-9) + 1


def find_near_duplicates(
    queries: Sequence[str],
    references: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    n: int = DEFAULT_NGRAM,
) -> list[DuplicatePair]:
    """Find every (query, reference) pair that is an exact or near duplicate.

    A pair is reported when the normalised texts are equal, or when the Jaccard similarity of
    their character n-gram sets is at least ``threshold``. Candidates are found through an
    inverted index over each reference's rarest shingles (prefix filtering), which finds the
    same pairs as comparing everything with everything, only faster.

    Args:
        queries: Example texts to check (markup allowed).
        references: Example texts to check against (markup allowed).
        threshold: Minimum Jaccard similarity, in (0, 1].
        n: Character n-gram length.

    Returns:
        The offending pairs, sorted by query index then reference index.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    query_norm = [normalise(text) for text in queries]
    ref_norm = [normalise(text) for text in references]
    query_sets = [shingles(text, n) for text in query_norm]
    ref_sets = [shingles(text, n) for text in ref_norm]

    found: dict[tuple[int, int], DuplicatePair] = {}

    by_text: dict[str, list[int]] = {}
    for j, text in enumerate(ref_norm):
        by_text.setdefault(text, []).append(j)
    for i, text in enumerate(query_norm):
        for j in by_text.get(text, ()):
            found[(i, j)] = DuplicatePair(i, j, 1.0, exact=True)

    # Global order: rarest shingles first (ties broken by the shingle itself, deterministic).
    frequency: Counter[str] = Counter()
    for shingle_set in (*query_sets, *ref_sets):
        frequency.update(shingle_set)

    def prefix(shingle_set: frozenset[str]) -> list[str]:
        ordered = sorted(shingle_set, key=lambda s: (frequency[s], s))
        return ordered[: _prefix_length(len(ordered), threshold)]

    index: dict[str, list[int]] = {}
    for j, shingle_set in enumerate(ref_sets):
        for shingle in prefix(shingle_set):
            index.setdefault(shingle, []).append(j)

    for i, shingle_set in enumerate(query_sets):
        if not shingle_set:
            continue
        size = len(shingle_set)
        candidates = {j for shingle in prefix(shingle_set) for j in index.get(shingle, ())}
        for j in candidates:
            if (i, j) in found:
                continue
            other = len(ref_sets[j])
            # Length filter: Jaccard <= min/max of the sizes.
            if min(size, other) < threshold * max(size, other) - 1e-9:
                continue
            similarity = jaccard(shingle_set, ref_sets[j])
            if similarity >= threshold:
                found[(i, j)] = DuplicatePair(i, j, similarity, exact=False)

    return [found[key] for key in sorted(found)]
