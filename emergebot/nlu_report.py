"""``nlu report``: how the live model does, for ``emergebot nlu report`` and the console's NLU
page (both render what ``build`` returns).

From the live model's held-out evaluation (``var/reports/<model>/``): intent accuracy per
language, the commonest confusions (expected -> predicted) per language, out-of-scope recall and
precision. From Rasa's tracker store: the founder messages of the last days the model was least
sure of, masked and deduplicated, lowest confidence first.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emergebot import review_queue
from emergebot.evaluation import REPORT_FILE, confusions, load_predictions, out_of_scope
from emergebot.masking import mask
from emergebot.predictions import Prediction
from emergebot.registry import Registry
from emergebot.training import report_dir
from hubdata.followups import is_follow_up

PAIRS_PER_LANGUAGE = 3
# Why part of the report is missing; the CLI says it in English, the console from its catalogs
# (``console.nlu_problem_<code>``).
NO_MODEL, NO_REPORT, STALE_REPORT, NO_PREDICTIONS = (
    "no_model", "no_report", "stale_report", "no_predictions")
NO_TRACKER_STORE, TRACKER_UNREADABLE = "no_tracker_store", "tracker_unreadable"


@dataclass(frozen=True)
class Problem:
    """Part of the report could not be made: ``code`` says why, ``params`` fill the text."""

    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageFigures:
    """Held-out figures of one language (``all`` for every language together)."""

    language: str
    examples: int
    intent_accuracy: float
    out_of_scope_recall: float | None
    out_of_scope_precision: float | None


@dataclass(frozen=True)
class Confusion:
    """Held-out examples of ``expected`` that the model took for ``predicted``."""

    language: str
    expected: str
    predicted: str
    count: int


@dataclass
class UnsureMessage:
    """A founder message (masked) and the model's top intent for it."""

    text: str
    language: str
    intent: str | None
    confidence: float
    count: int  # founders' messages that normalise to it
    last_seen: float


@dataclass
class NLUReport:
    """Everything ``nlu report`` and the console's NLU page show."""

    model: str | None = None
    heldout: str | None = None
    languages: list[LanguageFigures] = field(default_factory=list)
    confusions: list[Confusion] = field(default_factory=list)
    unsure: list[UnsureMessage] = field(default_factory=list)
    days: float = 7
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as ``nlu report --json`` prints it."""
        return asdict(self)


def build(model_dir: Path, var_dir: Path, tracker_source: str, days: float = 7,
          limit: int = 20, now: float | None = None) -> NLUReport:
    """The report of the live model and of the tracker store's last ``days`` days.

    Missing pieces (no live model, no report, no tracker store) are listed in ``problems``;
    the rest of the report is still made.
    """
    report = NLUReport(days=days, source=review_queue.shown_url(tracker_source))
    _add_evaluation(report, Registry(model_dir), var_dir)
    _add_unsure(report, tracker_source, days, limit, now)
    return report


def _add_evaluation(report: NLUReport, registry: Registry, var_dir: Path) -> None:
    entry = registry.live
    if entry is None or registry.live_name is None:
        report.problems.append(Problem(NO_MODEL, {"path": str(registry.path)}))
        return
    report.model = registry.live_name
    out_dir = report_dir(var_dir, registry.path_of(registry.live_name))
    path = out_dir / REPORT_FILE
    if not path.exists():
        report.problems.append(Problem(NO_REPORT, {"model": report.model, "path": str(path)}))
        return
    evaluation = json.loads(path.read_text(encoding="utf-8"))
    report.heldout = evaluation.get("heldout")
    if entry.get("sha256") and evaluation.get("model_sha256") != entry["sha256"]:
        report.problems.append(Problem(STALE_REPORT, {"model": report.model,
                                                      "path": str(path)}))
    predictions = load_predictions(out_dir)
    if predictions is None:
        report.problems.append(Problem(NO_PREDICTIONS, {"path": str(out_dir)}))
    rows = [*evaluation["languages"].items(), ("all", evaluation["overall"])]
    for language, figures in rows:
        items = [p for p in predictions or [] if language in ("all", p.language)]
        recall, precision = out_of_scope(items) if items else (
            figures.get("out_of_scope_recall"), figures.get("out_of_scope_precision"))
        report.languages.append(LanguageFigures(language, int(figures["examples"]),
                                                float(figures["intent_accuracy"]),
                                                recall, precision))
        if language != "all":
            report.confusions += _top_confusions(language, items)


def _top_confusions(language: str, items: list[Prediction]) -> list[Confusion]:
    ranked = sorted(confusions(items).items(), key=lambda kv: (-kv[1], kv[0]))
    return [Confusion(language, expected, predicted, count)
            for (expected, predicted), count in ranked[:PAIRS_PER_LANGUAGE]]


def _add_unsure(report: NLUReport, source: str, days: float, limit: int,
                now: float | None) -> None:
    url = review_queue.tracker_url(source)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        report.problems.append(Problem(NO_TRACKER_STORE, {"source": report.source}))
        return
    since = review_queue.since_days(days) if now is None else now - days * 86400
    try:
        turns = review_queue.read_turns(url, since)
    except review_queue.ReviewQueueError as error:
        report.problems.append(Problem(TRACKER_UNREADABLE, {"detail": str(error)}))
        return
    report.unsure = least_sure(turns, limit)


def least_sure(turns: list[review_queue.Turn], limit: int) -> list[UnsureMessage]:
    """The typed messages the model was least sure of, masked and deduplicated.

    Button payloads are left out, and so are follow-ups ("and in Uganda?"), which the dialogue
    answers from the conversation rather than from their intent.
    """
    found: dict[str, UnsureMessage] = {}
    for turn in turns:
        if (not turn.text.strip() or review_queue.is_payload(turn.text)
                or is_follow_up(turn.text, turn.parse.get("entities") or [])):
            continue
        intent, confidence = turn.ranking[0] if turn.ranking else (None, 0.0)
        key = review_queue.item_key(turn.language, turn.text)
        seen = found.get(key)
        if seen is None:
            found[key] = UnsureMessage(mask(turn.text), turn.language, intent,
                                       round(confidence, 4), 1, turn.timestamp)
            continue
        seen.count += 1
        seen.last_seen = max(seen.last_seen, turn.timestamp)
        if confidence < seen.confidence:
            seen.intent, seen.confidence = intent, round(confidence, 4)
    ranked = sorted(found.values(), key=lambda m: (m.confidence, -m.count, m.text))
    return ranked[:limit] if limit else ranked
