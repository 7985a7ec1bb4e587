"""A registered live model with a held-out evaluation, written by the code that writes real
ones (``Registry.register``, ``evaluation.score`` and ``write_report``), for report tests."""

from __future__ import annotations

from pathlib import Path

from emergebot.evaluation import score, write_report
from emergebot.predictions import Prediction
from emergebot.registry import locked, now
from emergebot.training import report_dir

MODEL = "emergebot-0123456789ab"
SHA256 = "f" * 64
PREDICTIONS = [  # language, text, expected, predicted (top intent), final, confidence
    Prediction("en", "hello", "greet", "greet", "greet", 0.9),
    Prediction("en", "yo", "greet", "out_of_scope", "out_of_scope", 0.7),
    Prediction("en", "money?", "ask_funding", "ask_training", "ask_training", 0.6),
    Prediction("en", "cash pls", "ask_funding", "ask_training", "nlu_fallback", 0.3),
    Prediction("en", "weather?", "out_of_scope", "out_of_scope", "out_of_scope", 0.8),
    Prediction("en", "hi there pizza", "out_of_scope", "greet", "greet", 0.5),
    Prediction("fr", "un mentor ?", "ask_mentor", "ask_mentor", "ask_mentor", 0.9),
    Prediction("fr", "la météo ?", "out_of_scope", "out_of_scope", "out_of_scope", 0.9),
]


def live_model_with_report(model_dir: Path, var_dir: Path, predictions: bool = True) -> Path:
    """Register ``MODEL`` as live and write its evaluation; return the report directory."""
    with locked(model_dir) as registry:
        registry.register(MODEL, {"file": f"{MODEL}.tar.gz", "sha256": SHA256,
                                  "created": now()})
        registry.save()
    out_dir = report_dir(var_dir, model_dir / f"{MODEL}.tar.gz")
    report = score(PREDICTIONS)
    report.update(model=f"{MODEL}.tar.gz", model_sha256=SHA256, heldout="abcdef123456")
    write_report(report, PREDICTIONS, Path(f"{MODEL}.tar.gz"), out_dir, plots=False)
    if not predictions:
        (out_dir / "predictions.jsonl").unlink()
    return out_dir
