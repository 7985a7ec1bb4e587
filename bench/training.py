"""Training for the benchmark: time our full training, and train (or reuse) the baseline model.

Both trainings start with an empty Rasa cache in a temporary directory, so the figure is a full
training, not a cached one, and the project's own ``.rasa/cache`` and ``models/`` are untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.profiling import py_spy, summarise_speedscope
from hubdata.settings import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = BENCH_DIR / "default_config.yml"
# What the baseline is trained from: the same domain, NLU data and stories as our model.
BASELINE_INPUTS = ("nlu/domain.yml", "nlu/data", "stories")


@dataclass
class TrainedModel:
    """A trained model and how long its full training took."""

    path: Path
    seconds: float
    cached: bool
    trained_at: str
    command: str
    command_seconds: float | None = None
    log: str | None = None
    profile: dict[str, Any] | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {**asdict(self), "path": str(self.path)}


def data_hash(
    config: Path, inputs: tuple[str, ...] = BASELINE_INPUTS, root: Path = PROJECT_ROOT
) -> str:
    """A short hash of a config file and the training data it is trained on.

    Args:
        config: The Rasa config file.
        inputs: Files and folders (relative to ``root``) whose ``.yml`` files are hashed.
        root: The project root.

    Returns:
        12 hex digits that change whenever the config or any training file changes.
    """
    digest = hashlib.sha256()
    digest.update(config.read_bytes())
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*.yml") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _rasa() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def _training_env(cache_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_CACHE_DIRECTORY": str(cache_dir),
    }


def _run_timed(
    command: list[str], env: dict[str, str], log: Path, profile: Path | None = None
) -> float:
    """Run a command to completion with its output in ``log``; return its wall time.

    With ``profile``, py-spy samples the command and its children at 20 Hz for its whole
    life into that speedscope file (skipped when py-spy is missing).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT
        )
        spy = None
        tool = py_spy() if profile is not None else None
        if tool is not None and profile is not None:
            spy = subprocess.Popen(
                [
                    tool,
                    "record",
                    "--pid",
                    str(process.pid),
                    "--subprocesses",
                    "--rate",
                    "20",
                    "--format",
                    "speedscope",
                    "--output",
                    str(profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        returncode = process.wait()
    seconds = time.monotonic() - started
    if spy is not None:
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
    if returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed ({returncode}); see {log}")
    return seconds


def time_our_training(log_dir: Path) -> TrainedModel:
    """Run ``emergebot nlu train`` into temporary model and var dirs with a cold Rasa cache.

    The command checks the data, trains, then scores the held-out split and registers the
    model. ``seconds`` is the training itself as the command records it in its registry (the
    whole command's wall time when the registry has no such figure); ``command_seconds`` is
    the wall time of the whole command.

    Args:
        log_dir: Where the training log goes.

    Returns:
        The trained model (deleted with its temporary directory) and the times.
    """
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        env = _training_env(Path(tmp) / "rasa-cache")
        env["EMERGEBOT_MODEL_DIR"] = str(Path(tmp) / "models")
        env["EMERGEBOT_VAR_DIR"] = str(Path(tmp) / "var")
        command = [str(Path(sys.executable).with_name("emergebot")), "nlu", "train"]
        profile = log_dir / "profile-training.speedscope.json"
        wall = _run_timed(command, env, log_dir / "train-ours.log", profile)
        models = sorted((Path(tmp) / "models").glob("*.tar.gz"))
        name = models[-1].name if models else "?"
        train_seconds = _registered_train_seconds(Path(tmp) / "models", name)
    return TrainedModel(
        path=Path(name),
        seconds=round(train_seconds if train_seconds is not None else wall, 1),
        cached=False,
        trained_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
        command="emergebot nlu train (cold Rasa cache, temporary model dir)",
        command_seconds=round(wall, 1),
        log=str(log_dir / "train-ours.log"),
        profile=_training_profile(profile, wall),
    )


def _training_profile(path: Path, seconds: float) -> dict[str, Any] | None:
    """The summary of the training's py-spy profile (all processes), if one was recorded."""
    if not path.exists():
        return None
    summary = summarise_speedscope(json.loads(path.read_text(encoding="utf-8")), seconds)
    return {"file": str(path), **summary["all"]}


def _registered_train_seconds(model_dir: Path, model_name: str) -> float | None:
    """The training time the model registry recorded for a model, if it has one."""
    registry = model_dir / "registry.json"
    if not registry.exists():
        return None
    entry = (
        json.loads(registry.read_text(encoding="utf-8"))
        .get("models", {})
        .get(model_name.removesuffix(".tar.gz"), {})
    )
    value = entry.get("train_seconds")
    return float(value) if isinstance(value, int | float) else None


def _cached(folder: Path) -> TrainedModel | None:
    model = folder / f"{folder.name}.tar.gz"
    record = folder / "training.json"
    if not (model.exists() and record.exists()):
        return None
    saved = json.loads(record.read_text(encoding="utf-8"))
    return TrainedModel(
        path=model,
        seconds=float(saved["seconds"]),
        cached=True,
        trained_at=str(saved["trained_at"]),
        command=str(saved["command"]),
    )


def baseline_model(
    cache_root: Path,
    config: Path = DEFAULT_CONFIG,
    retrain: bool = False,
    allow_stale: bool = False,
) -> TrainedModel:
    """The default-config model trained on our data, reused from ``cache_root`` when present.

    Args:
        cache_root: ``bench/results/cache``; the model lives in ``default-<hash>/``.
        config: The baseline's Rasa config.
        retrain: Train even when a cached model of the same data exists.
        allow_stale: When no cached model matches the current data, reuse the newest cached
            one (its ``note`` says so) instead of training for an hour.

    Returns:
        The model and its full training time (measured when it was trained).
    """
    digest = data_hash(config)
    folder = cache_root / f"default-{digest}"
    model = folder / f"default-{digest}.tar.gz"
    record = folder / "training.json"
    if not retrain:
        cached = _cached(folder)
        if cached is None and allow_stale:
            folders = sorted(cache_root.glob("default-*"), key=lambda p: p.stat().st_mtime)
            for older in reversed(folders):
                cached = _cached(older)
                if cached is not None:
                    cached.note = (
                        f"trained on older data ({older.name}); the current data hashes to {digest}"
                    )
                    break
        if cached is not None:
            return cached
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        _rasa(),
        "train",
        "--config",
        str(config),
        "--domain",
        str(PROJECT_ROOT / "nlu" / "domain.yml"),
        "--data",
        str(PROJECT_ROOT / "nlu" / "data"),
        str(PROJECT_ROOT / "stories"),
        "--out",
        str(folder),
        "--fixed-model-name",
        model.name.removesuffix(".tar.gz"),
        "--quiet",
    ]
    print(f"training the default-config baseline into {folder} (long: DIET and TED)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-train-default-") as tmp:
        seconds = _run_timed(command, _training_env(Path(tmp)), folder / "train.log")
    trained = TrainedModel(
        path=model,
        seconds=round(seconds, 1),
        cached=False,
        trained_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
        command="rasa train --config bench/default_config.yml (cold cache)",
    )
    record.write_text(
        json.dumps({k: v for k, v in trained.to_json().items() if k != "path"}, indent=2),
        encoding="utf-8",
    )
    return trained
