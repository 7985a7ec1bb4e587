"""Train the Rasa model from the repository's data, reproducibly, with a progress bar; score it
on the held-out split and register it with its metrics.

Seeds are fixed (``PYTHONHASHSEED=0``, ``random_state`` in nlu/config.yml, deterministic
TensorFlow ops, no story augmentation), and a model is named by the hash of everything it was
trained from (``emergebot.modelfiles``). Rasa writes into a temporary directory and the finished
archive is moved into place, so ``models/`` never holds half a model.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import TextIO

from emergebot import modelfiles
from emergebot.nlu_data import DataErrors, Project, require_valid
from emergebot.progress import Progress
from emergebot.registry import file_sha256, locked, now
from hubdata.settings import PROJECT_ROOT

DEFAULT_COMPONENTS = 6  # trainable graph nodes of nlu/config.yml; updated from each run
_STARTED = re.compile(r"Starting to train component '([^']+)'")
_FINISHED = re.compile(r"(?:Finished training component|Restored component) '([^']+)'")


class TrainingError(Exception):
    """Training failed; the message says why and where the log is."""


def rasa_executable() -> str:
    """The ``rasa`` command of this virtual environment."""
    return str(Path(sys.executable).with_name("rasa"))


def rasa_environment() -> dict[str, str]:
    """Environment with fixed seeds and without Rasa's telemetry.

    ``LOG_LEVEL`` is at most INFO: the progress bar follows Rasa's INFO lines (and a process
    that has loaded a model in Rasa has LOG_LEVEL set to ERROR by Rasa itself).
    """
    level = "DEBUG" if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG" else "INFO"
    return {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3",
            "TF_DETERMINISTIC_OPS": "1", "RASA_TELEMETRY_ENABLED": "false", "LOG_LEVEL": level}


def _rasa_train(root: Path, out_dir: Path, name: str, log: Path, progress: Progress) -> int:
    """Run ``rasa train``, moving the bar on its log lines; return the number of components."""
    command = [
        rasa_executable(), "train",
        "--config", str(root / "nlu" / "config.yml"),
        "--domain", str(root / "nlu" / "domain.yml"),
        "--data", str(root / "nlu" / "data"), str(root / "stories"),
        "--out", str(out_dir), "--fixed-model-name", name, "--augmentation", "0",
    ]
    components, tail = 0, deque[str](maxlen=25)
    with open(log, "w", encoding="utf-8") as log_stream:
        process = subprocess.Popen(command, cwd=root, env=rasa_environment(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for line in process.stdout:
            log_stream.write(line)
            tail.append(line.rstrip())
            if "Started validating domain and training data" in line:
                progress.show("rasa: validating domain and data")
            elif started := _STARTED.search(line):
                progress.show(f"training {started.group(1)}")
            elif finished := _FINISHED.search(line):
                components += 1
                verb = "restored" if "Restored" in line else "trained"
                progress.step(f"{verb} {finished.group(1)}")
            elif "Your Rasa model is trained and saved" in line:
                progress.step("model packaged")
        code = process.wait()
    if code != 0:
        details = "\n".join(line for line in tail if line.strip())
        raise TrainingError(f"rasa train failed (exit {code}); log: {log}\n{details}")
    return components


def train(model_dir: Path, if_changed: bool = False, root: Path = PROJECT_ROOT,
          var_dir: Path | None = None, stream: TextIO | None = None) -> Path:
    """Train (unless ``if_changed`` and up to date), evaluate and register a model.

    Raises:
        DataErrors: the training data has problems (each names its file and line).
        TrainingError: Rasa failed.
    """
    var_dir = var_dir or root / "var"
    project = Project(root)
    digest = modelfiles.fingerprint(root)
    target = modelfiles.model_path(model_dir, digest)
    name = target.name.removesuffix(".tar.gz")
    with locked(model_dir) as registry:
        registered = name in registry.models and registry.models[name].get("sha256") == (
            file_sha256(target) if target.exists() else None)
        components = next((m["components"] for m in sorted(
            registry.models.values(), key=lambda m: m["created"], reverse=True)
            if m.get("components")), DEFAULT_COMPONENTS)
    if if_changed and registered:
        print(f"model up to date: {target.name}", file=stream or sys.stderr)
        return target
    skip_training = if_changed and target.exists()
    steps = 2 if skip_training else 3 + components  # check, components, package, evaluate
    progress = Progress("nlu train", steps, stream)
    progress.show("checking the training data")
    try:
        require_valid(project)
    except DataErrors:
        progress.finish("the training data has errors: nothing was trained")
        raise
    progress.step("training data checked")
    started = time.monotonic()
    if not skip_training:
        (var_dir / "logs").mkdir(parents=True, exist_ok=True)
        scratch = model_dir / f".training-{os.getpid()}"
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            components = _rasa_train(root, scratch, name, var_dir / "logs" / f"train-{name}.log",
                                     progress)
            os.replace(scratch / target.name, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.monotonic() - started
    progress.show("evaluating on the held-out split")
    report = register(target, model_dir, var_dir, project, components=components,
                      train_seconds=round(seconds, 1) if not skip_training else None)
    progress.step("evaluated")
    overall = report["overall"]
    progress.finish(f"{target.name}: held-out accuracy {overall['intent_accuracy']:.3f}, "
                    f"macro-F1 {overall['intent_macro_f1']:.3f}")
    return target


def register(model: Path, model_dir: Path, var_dir: Path, project: Project,
             **extra: object) -> dict:
    """Evaluate a model on the held-out split, write its report and register it."""
    from emergebot.evaluation import cached_report, evaluate, summary

    out_dir = report_dir(var_dir, model)
    report = cached_report(model, out_dir, project.heldout_dir) or evaluate(
        model, out_dir, heldout_dir=project.heldout_dir)
    name = model.name.removesuffix(".tar.gz")
    with locked(model_dir) as registry:
        status = registry.register(name, {
            "file": model.name, "hash": name.removeprefix(modelfiles.PREFIX),
            "sha256": report["model_sha256"], "created": now(),
            "metrics": summary(report), "report": str(out_dir / "report.md"),
            **{k: v for k, v in extra.items() if v is not None}})
        registry.save()
    hint = "; compare and make it live: emergebot nlu promote" if status == "candidate" else ""
    print(f"registered {name} as {status}{hint}; report: {out_dir / 'report.md'}",
          file=sys.stderr)
    return report


def report_dir(var_dir: Path, model: Path) -> Path:
    """Where a model's evaluation report goes: ``var/reports/<model>/``."""
    return var_dir / "reports" / model.name.removesuffix(".tar.gz")
