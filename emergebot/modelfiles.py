"""Trained models: named by the hash of the data and config they were trained from."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hubdata.settings import PROJECT_ROOT

# Everything that changes what a trained model does.
TRAINING_INPUTS = (
    "nlu/config.yml",
    "nlu/domain.yml",
    "nlu/data",
    "stories",
    "nlu/components",
    # what the components read: the lexicon, ITU's names, language detection, follow-ups
    "hubdata/text.py",
    "hubdata/lexicon",
    "hubdata/gazetteer.py",
    "hubdata/langid.py",
    "hubdata/followups.py",
    "hubdata/geo.py",
    "data/lexicon",
    "data/gazetteer.yml",
)
PREFIX = "emergebot-"


def _files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".py")]
        elif path.is_file():
            files.append(path)
    return sorted(files)


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A short hash of the training data, config and NLU component code."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def model_path(model_dir: Path, digest: str) -> Path:
    """Where the model trained from ``digest`` lives."""
    return model_dir / f"{PREFIX}{digest}.tar.gz"


def current_model(model_dir: Path, root: Path = PROJECT_ROOT) -> Path | None:
    """The model matching the current data, else the newest model, else None."""
    wanted = model_path(model_dir, fingerprint(root))
    if wanted.exists():
        return wanted
    models = sorted(model_dir.glob(f"{PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None
