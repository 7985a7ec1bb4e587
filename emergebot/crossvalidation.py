"""``nlu evaluate --cross-validation``: k-fold cross-validation on the training data.

Each language's examples of each intent are dealt into k folds (shuffled with a fixed seed);
for each fold an NLU model is trained on the other folds (``rasa train nlu``) and scored on it
with the held-out evaluation's code, so the figures per language are comparable. Slow: k
trainings.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from emergebot import nlu_yaml
from emergebot.evaluation import load_heldout, predict, score
from emergebot.nlu_data import Project
from emergebot.progress import Progress
from emergebot.training import TrainingError, rasa_environment, rasa_executable

SEED = 42


def folds(project: Project, k: int) -> list[dict[tuple[str, str], list[str]]]:
    """k folds of the training examples, each mapping (language, intent) to example lines."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in project.training_files():
        for block in nlu_yaml.parse(path.read_text(encoding="utf-8"), str(path)).blocks:
            if block.intent:
                groups[(path.parent.name, block.intent)] += block.examples
    dealt: list[dict[tuple[str, str], list[str]]] = [defaultdict(list) for _ in range(k)]
    rng = random.Random(SEED)
    for key in sorted(groups):
        examples = sorted(set(groups[key]))
        rng.shuffle(examples)
        for index, example in enumerate(examples):
            dealt[index % k][key].append(example)
    return dealt


def _write(parts: list[dict[tuple[str, str], list[str]]], directory: Path,
           by_language: bool) -> None:
    merged: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for part in parts:
        for (language, intent), examples in part.items():
            merged[language if by_language else "all"][intent] += examples
    directory.mkdir(parents=True, exist_ok=True)
    for name, intents in merged.items():
        nlu_file = nlu_yaml.NLUFile(nlu_yaml.NEW_FILE_HEADER.splitlines(), [
            nlu_yaml.Block([f"- intent: {intent}", "  examples: |"], intent, examples)
            for intent, examples in sorted(intents.items())])
        (directory / f"{name}.yml").write_text(nlu_yaml.render(nlu_file), encoding="utf-8")


def cross_validate(project: Project, k: int = 5) -> dict[str, Any]:
    """Train and score k models; return figures per language and overall."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    dealt = folds(project, k)
    progress = Progress("cross-validation", 2 * k)
    predictions = []
    with tempfile.TemporaryDirectory(prefix="emergebot-cv-") as scratch:
        work = Path(scratch)
        for fold in range(k):
            train_dir, test_dir = work / f"train-{fold}", work / f"test-{fold}"
            _write([d for i, d in enumerate(dealt) if i != fold], train_dir, by_language=False)
            _write([dealt[fold]], test_dir, by_language=True)
            progress.show(f"fold {fold + 1}/{k}: training")
            command = [rasa_executable(), "train", "nlu", "--config",
                       str(project.root / "nlu" / "config.yml"), "--nlu", str(train_dir),
                       "--out", str(work), "--fixed-model-name", f"fold-{fold}", "--quiet"]
            result = subprocess.run(command, cwd=project.root, env=rasa_environment(),
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise TrainingError(f"fold {fold + 1}: rasa train nlu failed:\n"
                                    + (result.stdout + result.stderr)[-2000:])
            progress.step(f"fold {fold + 1}/{k}: scoring")
            predictions += asyncio.run(predict(work / f"fold-{fold}.tar.gz",
                                               load_heldout(test_dir)))
            progress.step(f"fold {fold + 1}/{k} done")
    report = score(predictions)
    progress.finish(f"cross-validation: accuracy {report['overall']['intent_accuracy']:.3f}")
    keep = ("examples", "intent_accuracy", "intent_macro_f1")
    return {"folds": k,
            "languages": {lang: {key: f[key] for key in keep}
                          for lang, f in report["languages"].items()},
            "overall": {key: report["overall"][key] for key in keep}}
