"""The model registry, ``models/registry.json``: every trained model with its metrics and status
(``candidate``, ``live``, ``retired``), and the history of promotions and rollbacks.

The live model is the one every Rasa server should run; ``emergebot run`` starts Rasa with it.
The first model registered becomes live (there is nothing to compare it with); later ones are
candidates until ``nlu promote``. Writes are atomic and serialised by a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from emergebot import modelfiles

CANDIDATE, LIVE, RETIRED = "candidate", "live", "retired"
REGISTRY_FILE = "registry.json"


class ModelFileError(Exception):
    """A model file is missing or corrupt."""


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model_file(path: Path, sha256: str | None = None) -> None:
    """Make sure a model file exists, is the one registered, and is a Rasa model archive.

    Raises:
        ModelFileError: with a message naming the file.
    """
    if not path.is_file():
        raise ModelFileError(f"{path}: model file missing")
    if sha256 is not None and file_sha256(path) != sha256:
        raise ModelFileError(f"{path}: corrupt (its SHA-256 differs from the registered one)")
    try:
        with tarfile.open(path, "r:gz") as archive:
            names = {name.lstrip("/") for name in archive.getnames()}
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelFileError(f"{path}: corrupt ({error})") from error
    if "metadata.json" not in names:
        raise ModelFileError(f"{path}: not a Rasa model (no metadata.json)")


class Registry:
    """The registry of one model directory."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self.path = model_dir / REGISTRY_FILE
        data: dict[str, Any] = {}
        if self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
        self.models: dict[str, dict[str, Any]] = data.get("models", {})
        self.history: list[dict[str, Any]] = data.get("history", [])
        self.live_name: str | None = data.get("live")

    def save(self) -> None:
        """Write the registry atomically."""
        self.model_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(
            {"live": self.live_name, "models": self.models, "history": self.history},
            indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

    def path_of(self, name: str) -> Path:
        """The file of a registered model."""
        return self.model_dir / self.models[name]["file"]

    @property
    def live(self) -> dict[str, Any] | None:
        """The live model's entry."""
        return self.models.get(self.live_name) if self.live_name else None

    def resolve(self, name_or_path: str) -> str:
        """The registered name of a model given by name, file name or path.

        Raises:
            KeyError: no such registered model.
        """
        stem = Path(name_or_path).name.removesuffix(".tar.gz")
        if stem in self.models:
            return stem
        raise KeyError(f"{name_or_path}: not in {self.path} (train it with `emergebot nlu train`)")

    def newest_candidate(self) -> str | None:
        """The most recently created candidate."""
        candidates = [(m["created"], name) for name, m in self.models.items()
                      if m["status"] == CANDIDATE]
        return max(candidates)[1] if candidates else None

    def register(self, name: str, entry: dict[str, Any]) -> str:
        """Add or update a model; the first one becomes live. Return its status."""
        old = self.models.get(name, {})
        status = old.get("status") or (CANDIDATE if self.live_name else LIVE)
        self.models[name] = {**old, **entry, "status": status}
        if status == LIVE and self.live_name is None:
            self.live_name = name
            self.history.append({"at": now(), "action": "initial", "model": name,
                                 "previous": None, "forced": False})
        return status

    def make_live(self, name: str, action: str, **details: Any) -> None:
        """Record ``name`` as live (``promote`` or ``rollback``), the old live model retired."""
        previous = self.live_name
        if previous and previous != name:
            self.models[previous]["status"] = RETIRED
        self.models[name]["status"] = LIVE
        self.models[name]["live_since"] = now()
        self.live_name = name
        self.history.append({"at": now(), "action": action, "model": name,
                             "previous": previous, **details})

    def previous_live(self) -> str | None:
        """The model that was live before the current one (what ``rollback`` restores)."""
        for event in reversed(self.history):
            if event["model"] == self.live_name and event.get("previous"):
                return str(event["previous"])
        return None


@contextmanager
def locked(model_dir: Path) -> Iterator[Registry]:
    """The registry, held under an exclusive lock (one promotion at a time)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / "registry.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield Registry(model_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def serving_model(model_dir: Path) -> Path | None:
    """The model Rasa should start with: the live one, else the newest trained model."""
    registry = Registry(model_dir)
    if registry.live_name and registry.path_of(registry.live_name).is_file():
        return registry.path_of(registry.live_name)
    return modelfiles.current_model(model_dir)
