"""Score a model on the held-out split kept in the repository (never trained on)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
ACCURACY_FLOOR_FILE = PROJECT_ROOT / "nlu" / "accuracy_floor.json"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass
class Prediction:
    """One held-out example and what the model made of it."""

    language: str
    text: str
    expected: str
    predicted: str  # the classifier's top intent (before the fallback threshold)
    final: str  # the intent the dialogue acts on (nlu_fallback when unsure)
    confidence: float
    expected_entities: list[tuple[str, str]] = field(default_factory=list)
    predicted_entities: list[tuple[str, str]] = field(default_factory=list)


def load_heldout(directory: Path = HELDOUT_DIR) -> list[tuple[str, Any]]:
    """(language, Message) for every held-out example, languages from the file names."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(directory.glob("*.yml")):
        language = path.stem
        for message in load_data(str(path)).intent_examples:
            examples.append((language, message))
    return examples


async def predict(model: Path, examples: list[tuple[str, Any]]) -> list[Prediction]:
    """Parse every example with the model."""
    from rasa.core.agent import Agent

    from emergebot.parsing import quiet_rasa

    quiet_rasa()
    agent = Agent.load(str(model))
    predictions = []
    for language, message in examples:
        text = message.get("text")
        parse = await agent.parse_message(text)
        ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != FALLBACK]
        top = ranking[0] if ranking else {"name": FALLBACK, "confidence": 0.0}
        predictions.append(Prediction(
            language=language,
            text=text,
            expected=message.get("intent"),
            predicted=top["name"],
            final=(parse.get("intent") or {}).get("name") or FALLBACK,
            confidence=float(top["confidence"]),
            expected_entities=sorted((e["entity"], str(e["value"]))
                                     for e in message.get("entities") or []),
            predicted_entities=sorted((e["entity"], str(e["value"]))
                                      for e in parse.get("entities") or []),
        ))
    return predictions


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {e for e, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def score(predictions: list[Prediction]) -> dict[str, Any]:
    """Per-language and overall figures."""
    by_language: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        by_language[p.language].append(p)
    report: dict[str, Any] = {"languages": {}, "examples": len(predictions)}
    for language in [*SUPPORTED_LANGUAGES, *sorted(set(by_language) - set(SUPPORTED_LANGUAGES))]:
        items = by_language.get(language)
        if not items:
            continue
        report["languages"][language] = _figures(items)
    report["overall"] = _figures(predictions)
    return report


def _figures(items: list[Prediction]) -> dict[str, Any]:
    n = len(items)
    correct = sum(p.predicted == p.expected for p in items)
    answered = sum(p.final == p.expected for p in items)
    oos = [p for p in items if p.expected == OUT_OF_SCOPE]
    in_scope = [p for p in items if p.expected != OUT_OF_SCOPE]
    confident_wrong = sum(p.final not in (p.expected, FALLBACK) for p in in_scope)
    entity_tp = entity_fp = entity_fn = 0
    for p in items:
        expected, predicted = Counter(p.expected_entities), Counter(p.predicted_entities)
        entity_tp += sum((expected & predicted).values())
        entity_fp += sum((predicted - expected).values())
        entity_fn += sum((expected - predicted).values())
    return {
        "examples": n,
        "intent_accuracy": round(correct / n, 4),
        "intent_macro_f1": round(_macro_f1([(p.expected, p.predicted) for p in items]), 4),
        "accuracy_after_fallback": round(answered / n, 4),
        "fallback_rate": round(sum(p.final == FALLBACK for p in items) / n, 4),
        "confident_wrong_rate": round(confident_wrong / len(in_scope), 4) if in_scope else 0.0,
        "out_of_scope_recall": round(
            sum(p.final in (OUT_OF_SCOPE, FALLBACK) for p in oos) / len(oos), 4) if oos else None,
        "entity_precision": round(entity_tp / (entity_tp + entity_fp), 4)
        if entity_tp + entity_fp else None,
        "entity_recall": round(entity_tp / (entity_tp + entity_fn), 4)
        if entity_tp + entity_fn else None,
    }


def markdown(report: dict[str, Any], model: Path) -> str:
    """The report as a Markdown table."""
    lines = [f"# NLU evaluation of `{model.name}` on the held-out split", "",
             "| language | examples | intent accuracy | macro-F1 | after fallback | fallback rate "
             "| out-of-scope recall | entity P | entity R |",
             "|---|---|---|---|---|---|---|---|---|"]
    rows = [*report["languages"].items(), ("all", report["overall"])]
    for language, f in rows:
        lines.append(
            f"| {language} | {f['examples']} | {f['intent_accuracy']:.3f} | "
            f"{f['intent_macro_f1']:.3f} | {f['accuracy_after_fallback']:.3f} | "
            f"{f['fallback_rate']:.3f} | {_fmt(f['out_of_scope_recall'])} | "
            f"{_fmt(f['entity_precision'])} | {_fmt(f['entity_recall'])} |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def evaluate(model: Path, out_dir: Path | None = None) -> dict[str, Any]:
    """Evaluate ``model``; write report.json, report.md and predictions.jsonl to ``out_dir``."""
    predictions = asyncio.run(predict(model, load_heldout()))
    report = score(predictions)
    report["model"] = model.name
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        (out_dir / "report.md").write_text(markdown(report, model), encoding="utf-8")
        with open(out_dir / "predictions.jsonl", "w", encoding="utf-8") as stream:
            for p in predictions:
                stream.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    return report
