"""Train the Rasa model from the repository's data, reproducibly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from emergebot import modelfiles
from hubdata.settings import PROJECT_ROOT


def rasa_executable() -> str:
    """The ``rasa`` command of this virtual environment."""
    return str(Path(sys.executable).with_name("rasa"))


def train(model_dir: Path, if_changed: bool = False, root: Path = PROJECT_ROOT) -> Path:
    """Train a model named by the data's fingerprint; skip if it exists and ``if_changed``."""
    digest = modelfiles.fingerprint(root)
    target = modelfiles.model_path(model_dir, digest)
    if if_changed and target.exists():
        print(f"model up to date: {target.name}")
        return target
    model_dir.mkdir(parents=True, exist_ok=True)
    command = [
        rasa_executable(), "train",
        "--config", str(root / "nlu" / "config.yml"),
        "--domain", str(root / "nlu" / "domain.yml"),
        "--data", str(root / "nlu" / "data"), str(root / "stories"),
        "--out", str(model_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        "--augmentation", "0",
        "--quiet",
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3",
           "TF_DETERMINISTIC_OPS": "1", "RASA_TELEMETRY_ENABLED": "false"}
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=root, env=env)
    print(f"trained {target.name} in {time.monotonic() - started:.1f} s")
    return target
