"""Fixtures for the maintainer CLI tests: a copy of the project's data, the CLI's environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from hubdata.settings import PROJECT_ROOT

EMERGEBOT = str(Path(sys.executable).with_name("emergebot"))


def copy_project(target: Path) -> Path:
    """What training reads (nlu/, stories/, the held-out split, the fingerprinted code), copied:
    tests never touch the real training data."""
    shutil.copytree(PROJECT_ROOT / "nlu", target / "nlu",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_ROOT / "stories", target / "stories")
    heldout = Path("tests", "nlu", "heldout")
    shutil.copytree(PROJECT_ROOT / heldout, target / heldout)
    (target / "hubdata").mkdir()
    shutil.copy(PROJECT_ROOT / "hubdata" / "text.py", target / "hubdata" / "text.py")
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project's NLU data."""
    return copy_project(tmp_path / "project")


def cli_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an ``emergebot`` subprocess writing only under ``var_dir``."""
    env = {**os.environ, "EMERGEBOT_VAR_DIR": str(var_dir),
           "EMERGEBOT_MODEL_DIR": str(var_dir / "models"),
           "RASA_TRACKER_DB": str(var_dir / "tracker.db"),
           "DATABASE_URL": f"sqlite:///{var_dir / 'bot.db'}",
           "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    for name in ("TRACKER_STORE_URL", "RASA_REPLICAS", "LOG_LEVEL"):
        env.pop(name, None)
    return env
