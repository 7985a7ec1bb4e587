"""``nlu report``: the live model's held-out figures and confusions, and the founder messages
it was least sure of, read from a real Rasa tracker store."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from emergebot.evaluation import out_of_scope
from emergebot.nlu_report import build
from hubdata.settings import PROJECT_ROOT
from tests.emergebot import trackers as t
from tests.emergebot.conftest import EMERGEBOT, cli_env
from tests.emergebot.evaluations import MODEL, PREDICTIONS, live_model_with_report

DAY = 86400


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    """Founder messages of this week (one twice), one of last month, payloads, a follow-up."""
    old = t.user("very old question", [("ask_hubs", 0.05)])
    old.timestamp = time.time() - 30 * DAY
    (tmp_path / "var").mkdir()
    return t.write(tmp_path / "var" / "tracker.db", {
        "201": [
            t.user("Any money for my farm app?", [("ask_funding", 0.52), ("ask_training", 0.31)]),
            t.user("grants?", [("ask_funding", 0.97)]),
            t.user("/ask_mentor", [("ask_mentor", 0.01)]),  # a button payload
            t.user("and in Uganda?", [("ask_training", 0.02)],  # a follow-up
                   entities=[{"entity": "country", "value": "UG", "start": 7, "end": 13}]),
            old,
        ],
        "202": [
            t.user("any money for my farm app", [("ask_funding", 0.45)]),
            t.user("call me on +221 77 123 45 67", [("greet", 0.3), ("help", 0.2)],
                   language="fr"),
        ],
    })


def test_held_out_figures_per_language_and_confusions(tmp_path: Path) -> None:
    live_model_with_report(tmp_path / "models", tmp_path / "var")
    report = build(tmp_path / "models", tmp_path / "var", str(tmp_path / "none.db"))
    assert report.model == MODEL and report.heldout == "abcdef123456"
    figures = {f.language: f for f in report.languages}
    assert list(figures) == ["en", "fr", "all"]
    en = figures["en"]
    assert (en.examples, en.intent_accuracy) == (6, 0.3333)
    # 2 out-of-scope examples, 1 declined; 3 declined, of which 1 was out of scope
    assert (en.out_of_scope_recall, en.out_of_scope_precision) == (0.5, 0.3333)
    assert (figures["fr"].intent_accuracy, figures["fr"].out_of_scope_precision) == (1.0, 1.0)
    assert (figures["all"].out_of_scope_recall, figures["all"].out_of_scope_precision) == (
        0.6667, 0.5)
    assert [(c.language, c.expected, c.predicted, c.count) for c in report.confusions] == [
        ("en", "ask_funding", "ask_training", 2), ("en", "greet", "out_of_scope", 1),
        ("en", "out_of_scope", "greet", 1)]
    assert [p.code for p in report.problems] == ["no_tracker_store"]


def test_out_of_scope_recall_is_the_one_the_evaluation_reports() -> None:
    from emergebot.evaluation import score

    en = [p for p in PREDICTIONS if p.language == "en"]
    assert out_of_scope(en) == (0.5, 0.3333)
    assert score(en)["overall"]["out_of_scope_recall"] == 0.5
    assert out_of_scope([]) == (None, None)


def test_least_sure_messages_of_the_last_days_lowest_first(tmp_path: Path,
                                                          tracker_db: Path) -> None:
    report = build(tmp_path / "models", tmp_path / "var", str(tracker_db), days=7, limit=10)
    assert [p.code for p in report.problems] == ["no_model"]
    shown = [(m.text, m.language, m.intent, m.confidence, m.count) for m in report.unsure]
    assert shown[0][1:] == ("fr", "greet", 0.3, 1) and "77 123" not in shown[0][0]
    assert shown[1:] == [("Any money for my farm app?", "en", "ask_funding", 0.45, 2),
                         ("grants?", "en", "ask_funding", 0.97, 1)]
    month = build(tmp_path / "models", tmp_path / "var", str(tracker_db), days=40, limit=1)
    assert [m.text for m in month.unsure] == ["very old question"]


def test_a_report_without_predictions_keeps_the_figures(tmp_path: Path) -> None:
    live_model_with_report(tmp_path / "models", tmp_path / "var", predictions=False)
    report = build(tmp_path / "models", tmp_path / "var", str(tmp_path / "none.db"))
    assert [p.code for p in report.problems] == ["no_predictions", "no_tracker_store"]
    en = next(f for f in report.languages if f.language == "en")
    assert en.out_of_scope_recall == 0.5 and en.out_of_scope_precision == 0.3333
    assert report.confusions == []


def test_cli_report_text_and_json(tmp_path: Path, tracker_db: Path) -> None:
    var = tmp_path / "var"
    live_model_with_report(var / "models", var)
    env = cli_env(var)
    result = subprocess.run([EMERGEBOT, "nlu", "report", "--limit", "2"], env=env,
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"NLU report of the live model {MODEL}" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["en", "6", "33.3%", "50.0%", "33.3%"] in rows
    assert ["all", "8", "50.0%", "66.7%", "50.0%"] in rows
    assert "  en  ask_funding -> ask_training  2" in out
    assert "least sure messages of the last 7 day(s)" in out and ": 2\n" in out
    assert "0.45  en  ask_funding  2×" in out and "grants?" not in out
    data = json.loads(subprocess.run(
        [EMERGEBOT, "nlu", "report", "--json", "--days", "40", "--limit", "0"], env=env,
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout)
    assert data["model"] == MODEL and data["problems"] == []
    assert [m["text"] for m in data["unsure"]][0] == "very old question"
    assert len(data["unsure"]) == 4


def test_cli_says_what_is_missing(tmp_path: Path) -> None:
    result = subprocess.run([EMERGEBOT, "nlu", "report"], env=cli_env(tmp_path / "var"),
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "no live model in" in result.stdout and "emergebot nlu train" in result.stdout
    assert "no tracker store at" in result.stdout
    live = tmp_path / "live"
    with_model = cli_env(live)
    live_model_with_report(live / "models", live)
    (live / "reports" / MODEL / "report.json").unlink()
    out = subprocess.run([EMERGEBOT, "nlu", "report"], env=with_model, cwd=PROJECT_ROOT,
                         capture_output=True, text=True).stdout
    assert f"no held-out evaluation of {MODEL}" in out
    assert f"emergebot nlu evaluate --model {MODEL}" in out


def test_a_report_of_another_file_is_flagged(tmp_path: Path) -> None:
    from emergebot.registry import locked

    live_model_with_report(tmp_path / "models", tmp_path / "var")
    with locked(tmp_path / "models") as registry:
        registry.models[MODEL]["sha256"] = "0" * 64  # the model file was retrained since
        registry.save()
    report = build(tmp_path / "models", tmp_path / "var", str(tmp_path / "none.db"))
    assert [p.code for p in report.problems] == ["stale_report", "no_tracker_store"]
    assert report.languages  # still shown, with the warning
