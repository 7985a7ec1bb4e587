"""The trained model: Rasa's own checks, test stories, held-out accuracy, and the parse command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emergebot import modelfiles
from emergebot.evaluation import ACCURACY_FLOOR_FILE, evaluate
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

RASA = str(Path(sys.executable).with_name("rasa"))
EMERGEBOT = str(Path(sys.executable).with_name("emergebot"))
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.fixture(scope="module")
def model() -> Path:
    path = modelfiles.current_model(PROJECT_ROOT / "models")
    if path is None or path.name != modelfiles.model_path(Path(), modelfiles.fingerprint()).name:
        pytest.fail("the model is missing or older than the data: run `make model`")
    return path


def test_rasa_data_validate() -> None:
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", "nlu/domain.yml", "--data", "nlu/data", "stories",
         "--config", "nlu/config.yml"], cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_test_stories(model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [RASA, "test", "core", "--model", str(model), "--stories", "tests/stories",
         "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True)
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, details
    assert "None of the test stories failed" in failed.read_text()


def test_heldout_accuracy_meets_the_floor_in_every_language(model: Path, tmp_path: Path) -> None:
    floors = json.loads(ACCURACY_FLOOR_FILE.read_text())
    report = evaluate(model, tmp_path)
    print((tmp_path / "report.md").read_text())
    assert set(report["languages"]) == set(SUPPORTED_LANGUAGES)
    low = [
        f"{lang}: {metric} {figures[metric]} < {floors[metric]}"
        for lang, figures in report["languages"].items()
        for metric in ("intent_accuracy", "out_of_scope_recall")
        if figures[metric] is not None and figures[metric] < floors[metric]
    ]
    assert not low, "\n".join(low)


def test_parse_command_reads_json_lines_and_reports_bad_ones(model: Path, tmp_path: Path) -> None:
    lines = [
        {"text": "any grants for agritech in Kenya?"},
        {"text": "есть ли гранты для финтеха в Кении?"},
        {"text": "بدي منحة لشركتي في مصر"},
        {"text": "肯尼亚有农业科技的资助吗？"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
                      + '\nnot json\n{"no_text": 1}\n', encoding="utf-8")
    result = subprocess.run([EMERGEBOT, "nlu", "parse", "--input", str(source)],
                            cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 1  # two bad lines
    assert "line 5" in result.stderr and "line 6" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["text"] for o in out] == [x["text"] for x in lines]
    assert {tuple(sorted(o)) for o in out} == {
        ("confidence", "entities", "intent", "language", "text")}
    assert [o["language"] for o in out] == ["en", "ru", "ar", "zh"]
    assert out[0]["intent"] == "ask_funding"
    assert out[0]["entities"] == {"funding_type": "grant", "sector": "agritech", "country": "KE"}
    assert out[1]["entities"].get("country") == "KE"
    assert out[2]["entities"].get("country") == "EG"
    assert out[3]["entities"] == {"country": "KE", "sector": "agritech", "funding_type": "grant"}
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)


def test_parse_command_reads_stdin(model: Path) -> None:
    result = subprocess.run([EMERGEBOT, "nlu", "parse"], input='{"text": "hello"}\n',
                            cwd=PROJECT_ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["intent"] == "greet"
