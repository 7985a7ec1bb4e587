"""Score a model on the held-out split kept in the repository (never trained on)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import warnings
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from emergebot.predictions import Prediction
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
ACCURACY_FLOOR_FILE = PROJECT_ROOT / "nlu" / "accuracy_floor.json"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
REPORT_FILE, PREDICTIONS_FILE = "report.json", "predictions.jsonl"


def heldout_hash(directory: Path = HELDOUT_DIR) -> str:
    """A short hash of the held-out files: reports are comparable when it is the same."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def load_heldout(directory: Path = HELDOUT_DIR) -> list[tuple[str, Any]]:
    """(language, Message) for every held-out example, languages from the file names."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(directory.glob("*.yml")):
        language = path.stem
        for message in load_data(str(path)).intent_examples:
            examples.append((language, message))
    return examples


def parse_batch(agent: Any, texts: list[str], batch_size: int = 64) -> list[dict[str, Any]]:
    """Parse many texts through the model's NLU graph a batch at a time.

    Same result as ``agent.parse_message`` for each text (the NLU components take lists), but
    the sentence encoder embeds a whole batch at once, which is several times faster.
    """
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    target = processor.model_metadata.nlu_target
    tracker = DialogueStateTracker.from_events("evaluation", [])
    parses = []
    for start in range(0, len(texts), batch_size):
        messages = [UserMessage(text) for text in texts[start:start + batch_size]]
        results = processor.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: messages, PLACEHOLDER_TRACKER: tracker},
            targets=[target])
        parses += [m.as_dict(only_output_properties=True) for m in results[target]]
    return parses


async def predict(model: Path, examples: list[tuple[str, Any]]) -> list[Prediction]:
    """Parse every example with the model."""
    from rasa.core.agent import Agent

    from emergebot.parsing import quiet_rasa

    quiet_rasa()
    agent = Agent.load(str(model))
    texts = [message.get("text") for _, message in examples]
    predictions = []
    for (language, message), text, parse in zip(examples, texts, parse_batch(agent, texts),
                                                strict=True):
        ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != FALLBACK]
        top: dict[str, Any] = ranking[0] if ranking else {"name": FALLBACK, "confidence": 0.0}
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


def rejected(prediction: Prediction) -> bool:
    """Whether the dialogue declined a message: out of scope, or unsure (the fallback)."""
    return prediction.final in (OUT_OF_SCOPE, FALLBACK)


def out_of_scope(items: list[Prediction]) -> tuple[float | None, float | None]:
    """Out-of-scope recall and precision, a declined message counting as out of scope.

    Recall: the share of out-of-scope examples the dialogue declined. Precision: the share of
    declined examples that were out of scope (an in-scope question the bot declined lowers it).
    None where there is nothing to divide by.
    """
    caught = sum(p.expected == OUT_OF_SCOPE and rejected(p) for p in items)
    expected = sum(p.expected == OUT_OF_SCOPE for p in items)
    declined = sum(rejected(p) for p in items)
    return (round(caught / expected, 4) if expected else None,
            round(caught / declined, 4) if declined else None)


def confusions(items: list[Prediction]) -> Counter[tuple[str, str]]:
    """(expected, predicted top intent) -> count, for the misclassified examples."""
    return Counter((p.expected, p.predicted) for p in items if p.predicted != p.expected)


def per_intent(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 and test examples of each expected intent."""
    figures: dict[str, dict[str, float | int]] = {}
    for label in sorted({e for e, _ in pairs}):
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[label] = {"examples": tp + fn, "precision": round(precision, 4),
                          "recall": round(recall, 4), "f1": round(f1, 4)}
    return figures


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    """The mean F1 over the expected intents."""
    scores = [float(f["f1"]) for f in per_intent(pairs).values()]
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
    oos_recall, oos_precision = out_of_scope(items)
    in_scope = [p for p in items if p.expected != OUT_OF_SCOPE]
    confident_wrong = sum(p.final not in (p.expected, FALLBACK) for p in in_scope)
    entities = per_entity_type(items)
    entity_tp = sum(f["tp"] for f in entities.values())
    entity_fp = sum(f["fp"] for f in entities.values())
    entity_fn = sum(f["fn"] for f in entities.values())
    return {
        "examples": n,
        "intent_accuracy": round(correct / n, 4),
        "intent_macro_f1": round(macro_f1([(p.expected, p.predicted) for p in items]), 4),
        "accuracy_after_fallback": round(answered / n, 4),
        "fallback_rate": round(sum(p.final == FALLBACK for p in items) / n, 4),
        "confident_wrong_rate": round(confident_wrong / len(in_scope), 4) if in_scope else 0.0,
        "out_of_scope_recall": oos_recall,
        "out_of_scope_precision": oos_precision,
        "entity_precision": round(entity_tp / (entity_tp + entity_fp), 4)
        if entity_tp + entity_fp else None,
        "entity_recall": round(entity_tp / (entity_tp + entity_fn), 4)
        if entity_tp + entity_fn else None,
        "intents": per_intent([(p.expected, p.predicted) for p in items]),
        "entities": entities,
    }


def per_entity_type(items: list[Prediction]) -> dict[str, dict[str, Any]]:
    """Per entity type: true and false positives, misses, precision, recall and F1.

    An entity counts as found when its type and normalised value are both right.
    """
    counts: dict[str, Counter[str]] = {}
    for p in items:
        expected, predicted = Counter(p.expected_entities), Counter(p.predicted_entities)
        for kind, pairs in (("tp", expected & predicted), ("fp", predicted - expected),
                            ("fn", expected - predicted)):
            for (entity, _value), count in pairs.items():
                counts.setdefault(entity, Counter())[kind] += count
    out: dict[str, dict[str, Any]] = {}
    for entity in sorted(counts):
        tp, fp, fn = (counts[entity][k] for k in ("tp", "fp", "fn"))
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision and recall else 0.0 if tp + fp + fn else None)
        out[entity] = {"tp": tp, "fp": fp, "fn": fn, "examples": tp + fn,
                       "precision": None if precision is None else round(precision, 4),
                       "recall": None if recall is None else round(recall, 4),
                       "f1": None if f1 is None else round(f1, 4)}
    return out


def markdown(report: dict[str, Any], model: Path) -> str:
    """The report in Markdown: per-language table, per-intent table, plots."""
    lines = [f"# NLU evaluation of `{model.name}` on the held-out split", "",
             f"Held-out split `{report.get('heldout', '?')}`: {report['examples']} examples "
             "never trained on. Accuracy and F1 use the top intent; \"after fallback\" counts "
             "what the dialogue acts on (an unsure answer is a fallback).", "",
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
    languages = list(report["languages"])
    lines += ["", "## Intents (F1 per language; precision and recall over all languages)", "",
              "| intent | examples | precision | recall | F1 | " + " | ".join(languages) + " |",
              "|---|---|---|---|---|" + "---|" * len(languages)]
    for intent, f in report["overall"]["intents"].items():
        cells = [_fmt(report["languages"][lang]["intents"].get(intent, {}).get("f1"))
                 for lang in languages]
        lines.append(f"| {intent} | {f['examples']} | {f['precision']:.3f} | {f['recall']:.3f} "
                     f"| {f['f1']:.3f} | " + " | ".join(cells) + " |")
    entities = report["overall"].get("entities") or {}
    if entities:
        lines += ["", "## Entities (a found entity has the right type and value)", "",
                  "| entity | expected | found right | false alarms | precision | recall | F1 |",
                  "|---|---|---|---|---|---|---|"]
        for entity, f in entities.items():
            lines.append(f"| {entity} | {f['examples']} | {f['tp']} | {f['fp']} | "
                         f"{_fmt(f['precision'])} | {_fmt(f['recall'])} | {_fmt(f['f1'])} |")
    if report.get("cross_validation"):
        cv = report["cross_validation"]
        lines += ["", f"## Cross-validation on the training data ({cv['folds']} folds)", "",
                  "| language | examples | intent accuracy | macro-F1 |", "|---|---|---|---|"]
        for language, f in [*cv["languages"].items(), ("all", cv["overall"])]:
            lines.append(f"| {language} | {f['examples']} | {f['intent_accuracy']:.3f} | "
                         f"{f['intent_macro_f1']:.3f} |")
    if report.get("plots"):
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in report["plots"]]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def evaluate(model: Path, out_dir: Path | None = None, heldout_dir: Path = HELDOUT_DIR,
             plots: bool = True, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate ``model`` on the held-out split.

    Writes ``report.json``, ``report.md``, ``predictions.jsonl`` and (with ``plots``) PNG plots
    to ``out_dir`` when given; ``extra`` (such as cross-validation figures) joins the report.

    Returns:
        The report: figures per language and overall, each with per-intent figures.
    """
    from emergebot.registry import file_sha256

    with warnings.catch_warnings():  # Rasa, TensorFlow and matplotlib warn about themselves
        warnings.simplefilter("ignore")
        predictions = asyncio.run(predict(model, load_heldout(heldout_dir)))
        report = score(predictions)
        report.update(model=model.name, model_sha256=file_sha256(model),
                      heldout=heldout_hash(heldout_dir), **(extra or {}))
        if out_dir is not None:
            write_report(report, predictions, model, out_dir, plots)
    return report


def write_report(report: dict[str, Any], predictions: list[Prediction], model: Path,
                 out_dir: Path, plots: bool = True) -> None:
    """Write the report files (and plots) of an evaluation."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if plots:
        from emergebot.report_plots import draw_all

        report["plots"] = draw_all(report, predictions, out_dir)
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(report, model), encoding="utf-8")
    with open(out_dir / PREDICTIONS_FILE, "w", encoding="utf-8") as stream:
        for p in predictions:
            stream.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")


def load_predictions(out_dir: Path) -> list[Prediction] | None:
    """The predictions an evaluation wrote to ``out_dir`` (None when there are none)."""
    path = out_dir / PREDICTIONS_FILE
    if not path.exists():
        return None
    predictions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            for key in ("expected_entities", "predicted_entities"):
                data[key] = [tuple(pair) for pair in data.get(key) or []]
            predictions.append(Prediction(**data))
    return predictions


def cached_report(model: Path, out_dir: Path, heldout_dir: Path = HELDOUT_DIR
                  ) -> dict[str, Any] | None:
    """A report already written for this very model file and held-out split, if any."""
    from emergebot.registry import file_sha256

    path = out_dir / REPORT_FILE
    if not path.exists():
        return None
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if (report.get("model_sha256") == file_sha256(model)
            and report.get("heldout") == heldout_hash(heldout_dir)):
        return report
    return None


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The figures kept in the model registry."""
    keys = ("intent_accuracy", "intent_macro_f1", "out_of_scope_recall", "entity_precision",
            "entity_recall")
    return {"heldout": report.get("heldout"),
            "overall": {k: report["overall"][k] for k in keys},
            "languages": {lang: {k: f[k] for k in keys}
                          for lang, f in report["languages"].items()}}
