"""The promotion gate: a candidate model may replace the live one only if, on the same held-out
split, no language and no intent with enough test examples gets worse by more than a margin.

The rule lives in ``nlu/promotion_gate.json``:

- ``margin`` (0.02): the largest drop allowed, absolute, in a language's intent accuracy and
  in an intent's F1 (over all languages);
- ``min_examples`` (50): an intent is judged only with at least this many held-out examples.
  Below 1/margin examples a single example moves the score by more than the margin, so a
  smaller set cannot tell a real loss from noise. Each language has about 200 examples and
  each intent 77 or more (11 per language), so every language and intent is judged today;
  an intent's score within one language (11 examples) is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubdata.settings import PROJECT_ROOT

GATE_FILE = PROJECT_ROOT / "nlu" / "promotion_gate.json"


@dataclass(frozen=True)
class Gate:
    """The promotion rule."""

    margin: float = 0.02
    min_examples: int = 50

    @classmethod
    def load(cls, path: Path = GATE_FILE) -> Gate:
        """Read the rule from its file (defaults when absent)."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(margin=float(data["margin"]), min_examples=int(data["min_examples"]))


@dataclass(frozen=True)
class Change:
    """One compared figure."""

    scope: str  # "language en" or "intent ask_funding"
    metric: str
    live: float
    candidate: float
    examples: int

    @property
    def delta(self) -> float:
        """Candidate minus live."""
        return round(self.candidate - self.live, 4)

    def __str__(self) -> str:
        return (f"{self.scope}: {self.metric} {self.live:.3f} -> {self.candidate:.3f} "
                f"({self.delta:+.3f}, {self.examples} examples)")

    def as_json(self) -> dict[str, Any]:
        """For the registry's history."""
        return {"scope": self.scope, "metric": self.metric, "live": self.live,
                "candidate": self.candidate, "examples": self.examples}


class NotComparable(Exception):
    """The two reports were not made on the same held-out split."""


def compare(live: dict[str, Any], candidate: dict[str, Any], gate: Gate) -> list[Change]:
    """Every judged figure of both reports (languages first, then intents).

    Raises:
        NotComparable: the reports come from different held-out splits.
    """
    if live.get("heldout") != candidate.get("heldout"):
        raise NotComparable(f"held-out splits differ: {live.get('heldout')} vs "
                            f"{candidate.get('heldout')}")
    changes = []
    for language, figures in live["languages"].items():
        other = candidate["languages"].get(language)
        changes.append(Change(f"language {language}", "intent accuracy",
                              figures["intent_accuracy"],
                              other["intent_accuracy"] if other else 0.0, figures["examples"]))
    for intent, figures in live["overall"]["intents"].items():
        if figures["examples"] < gate.min_examples:
            continue
        other = candidate["overall"]["intents"].get(intent)
        changes.append(Change(f"intent {intent}", "F1", figures["f1"],
                              other["f1"] if other else 0.0, figures["examples"]))
    return changes


def regressions(changes: list[Change], gate: Gate) -> list[Change]:
    """The changes that lose more than the margin."""
    return [c for c in changes if c.delta < -gate.margin - 1e-9]
