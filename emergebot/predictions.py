"""What a model made of one held-out example: the record an evaluation scores, writes to
``predictions.jsonl`` and plots, shared by the evaluation, its plots and the NLU report."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Prediction:
    """One held-out example and what the model made of it."""

    language: str
    text: str
    expected: str
    predicted: str  # the classifier's top intent (before the fallback threshold)
    final: str  # the intent the dialogue acts on (nlu_fallback when unsure)
    confidence: float
    expected_entities: list[tuple[str, str]] = field(default_factory=list)
    predicted_entities: list[tuple[str, str]] = field(default_factory=list)
