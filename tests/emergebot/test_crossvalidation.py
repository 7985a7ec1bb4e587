"""``nlu evaluate --cross-validation``: stratified folds, k real trainings, per-language scores."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from emergebot import nlu_yaml
from emergebot.crossvalidation import cross_validate, folds
from emergebot.evaluation import markdown, score
from emergebot.nlu_data import Project
from emergebot.predictions import Prediction


def _small(root: Path, languages: tuple[str, ...], per_intent: int) -> Project:
    for directory in (root / "nlu" / "data").iterdir():
        if directory.name not in languages:
            shutil.rmtree(directory)
    for path in (root / "nlu" / "data").glob("*/*.yml"):
        nlu_file = nlu_yaml.parse(path.read_text(encoding="utf-8"))
        for block in nlu_file.blocks:
            block.examples = block.examples[:per_intent]
        path.write_text(nlu_yaml.render(nlu_file), encoding="utf-8")
    return Project(root)


def test_folds_are_stratified_disjoint_and_deterministic(project_copy: Path) -> None:
    project = _small(project_copy, ("en", "zh"), 5)
    dealt = folds(project, 3)
    assert dealt == folds(project, 3)
    sizes = [Counter({key: len(v) for key, v in fold.items()}) for fold in dealt]
    for key in sizes[0]:
        assert sorted(s[key] for s in sizes) == [1, 2, 2]  # 5 examples dealt into 3 folds
    everything = [(key, e) for fold in dealt for key, examples in fold.items() for e in examples]
    assert len(everything) == len(set(everything)) == 2 * len(project.intents()) * 5


def test_cross_validation_trains_and_scores_each_fold(project_copy: Path) -> None:
    project = _small(project_copy, ("en", "fr"), 4)
    intents = len(project.intents())
    result = cross_validate(project, k=2)
    assert result["folds"] == 2
    assert set(result["languages"]) == {"en", "fr"}
    assert result["languages"]["en"]["examples"] == intents * 4
    assert result["overall"]["examples"] == 2 * intents * 4
    # Four examples per intent are few, but far better than chance (1/intents).
    assert result["overall"]["intent_accuracy"] > 0.25
    report = score([Prediction("en", "hi", "greet", "greet", "greet", 0.9)])
    report["cross_validation"] = result
    text = markdown(report, Path("emergebot-x.tar.gz"))
    assert "## Cross-validation on the training data (2 folds)" in text
    en = result["languages"]["en"]
    assert (f"| en | {intents * 4} | {en['intent_accuracy']:.3f} | "
            f"{en['intent_macro_f1']:.3f} |") in text
