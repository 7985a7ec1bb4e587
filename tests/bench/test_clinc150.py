"""The CLINC150 benchmark: its scoring by hand, and the whole run on a small slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import clinc150

pytestmark = pytest.mark.skipif(not clinc150.DATA.exists(), reason="no CLINC150 data here")


def test_scores_follow_the_papers_definitions() -> None:
    expected = ["a", "a", "b", "oos", "oos", "oos"]
    predicted = ["a", "oos", "b", "oos", "a", "oos"]
    figures = clinc150.scores(expected, predicted)
    assert figures.in_scope_accuracy == pytest.approx(100 * 2 / 3, abs=0.01)  # oos is a miss
    assert figures.oos_recall == pytest.approx(100 * 2 / 3, abs=0.01)
    assert figures.oos_precision == pytest.approx(100 * 2 / 3, abs=0.01)
    assert (figures.in_scope, figures.out_of_scope) == (3, 3)
    # F1: a 1/2 (one right, one missed, one false alarm), b 1, oos 2/3
    assert figures.macro_f1 == pytest.approx(100 * (1 / 2 + 1 + 2 / 3) / 3, abs=0.01)


def test_the_training_file_keeps_every_example_and_names_oos_out_of_scope(
        tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    pairs = [("book a [table] for two", "restaurant_reservation"), ("what is love", "oos")]
    assert clinc150.write_nlu(pairs, tmp_path / "train.yml") == 2
    data = load_data(str(tmp_path / "train.yml"))
    assert sorted(m.get("intent") for m in data.intent_examples) == [
        "out_of_scope", "restaurant_reservation"]
    assert not any(m.get("entities") for m in data.intent_examples)


def _slice(splits: dict[str, list[tuple[str, str]]], intents: int, per_intent: int,
           name: str) -> list[tuple[str, str]]:
    chosen = sorted({label for _, label in splits["train"]})[:intents]
    out: list[tuple[str, str]] = []
    for intent in chosen:
        out += [pair for pair in splits[name] if pair[1] == intent][:per_intent]
    return out


def test_a_small_slice_trains_scores_and_reports(tmp_path: Path) -> None:
    full = clinc150.load()
    splits = {"train": _slice(full, 8, 25, "train"), "oos_train": full["oos_train"][:40],
              "test": _slice(full, 8, 10, "test"), "oos_test": full["oos_test"][:40]}
    path = clinc150.run(splits, tmp_path, baseline=False, stem="slice")
    report = json.loads((tmp_path / "slice.json").read_text(encoding="utf-8"))
    (row,) = report["rows"]
    assert row["train_examples"] == 8 * 25 + 40
    assert row["classifier"]["in_scope"] == 80 and row["classifier"]["out_of_scope"] == 40
    # Eight distinct intents are easy: far better than chance (1 in 9) on both sides.
    assert row["classifier"]["in_scope_accuracy"] >= 80
    assert row["classifier"]["oos_recall"] >= 40
    assert row["training_s"] > 0 and row["parse_ms_p50"] > 0
    assert 0 <= row["calibration"]["threshold"] < 1  # chosen in training, recorded
    text = path.read_text(encoding="utf-8")
    assert "| ours (nlu/config.yml) |" in text and "BERT (published) | 96.9 %" in text
    assert "The test split was not used." in text
