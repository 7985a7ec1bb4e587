"""The promotion gate on evaluation reports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emergebot.promotion import Gate, NotComparable, compare, regressions

GATE = Gate(margin=0.02, min_examples=50)


def _report(accuracy: dict[str, float], f1: dict[str, tuple[float, int]]) -> dict[str, Any]:
    return {"heldout": "abc",
            "languages": {lang: {"intent_accuracy": acc, "examples": 200}
                          for lang, acc in accuracy.items()},
            "overall": {"intents": {name: {"f1": score, "examples": n}
                                    for name, (score, n) in f1.items()}}}


LIVE = _report({"en": 0.95, "ar": 0.92}, {"ask_funding": (0.96, 77), "rare": (0.9, 20)})


def _with(**changes: float) -> dict[str, Any]:
    report = copy.deepcopy(LIVE)
    for key, value in changes.items():
        if key in report["languages"]:
            report["languages"][key]["intent_accuracy"] = value
        else:
            report["overall"]["intents"][key]["f1"] = value
    return report


def test_an_equal_or_better_candidate_passes() -> None:
    assert regressions(compare(LIVE, _with(en=0.97), GATE), GATE) == []


def test_a_loss_within_the_margin_passes() -> None:
    assert regressions(compare(LIVE, _with(en=0.93, ask_funding=0.94), GATE), GATE) == []


def test_a_language_losing_more_than_the_margin_is_refused() -> None:
    [loss] = regressions(compare(LIVE, _with(ar=0.89), GATE), GATE)
    assert (loss.scope, loss.delta) == ("language ar", -0.03)
    assert str(loss) == ("language ar: intent accuracy 0.920 -> 0.890 (-0.030, 200 examples)")


def test_an_intent_is_judged_only_with_enough_examples() -> None:
    [loss] = regressions(compare(LIVE, _with(ask_funding=0.9, rare=0.5), GATE), GATE)
    assert loss.scope == "intent ask_funding"
    lenient = Gate(margin=0.02, min_examples=10)
    assert len(regressions(compare(LIVE, _with(rare=0.5), lenient), lenient)) == 1


def test_reports_on_different_heldout_splits_are_not_compared() -> None:
    other = {**LIVE, "heldout": "def"}
    with pytest.raises(NotComparable):
        compare(LIVE, other, GATE)


def test_the_gate_is_written_down_in_the_repo() -> None:
    gate = Gate.load()
    assert (gate.margin, gate.min_examples) == (0.02, 50)
