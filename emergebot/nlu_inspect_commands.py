"""``emergebot nlu parse|report``: what a model makes of messages.

``parse`` runs a model over JSON lines; ``report`` shows the live model's held-out figures, its
commonest confusions and the real messages it was least sure of (``emergebot.nlu_report``
builds the report, the console's NLU page shows the same one).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emergebot.nlu_options import fail
from hubdata.settings import Settings

PROBLEMS = {
    "no_model": "no live model in {path}: train one with `emergebot nlu train`",
    "no_report": "no held-out evaluation of {model} ({path} missing): run "
                 "`emergebot nlu evaluate --model {model}`",
    "stale_report": "{path} evaluated another file than the registered {model}: run "
                    "`emergebot nlu evaluate --model {model}`",
    "no_predictions": "no predictions.jsonl in {path}: confusions and out-of-scope precision "
                      "need `emergebot nlu evaluate` again",
    "no_tracker_store": "no tracker store at {source} yet: the bot has not answered anyone",
    "tracker_unreadable": "{detail}",
}


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Parse JSON lines with the trained model."""
    from emergebot import modelfiles
    from emergebot.parsing import parse
    from emergebot.registry import ModelFileError, check_model_file

    model = Path(args.model) if args.model else modelfiles.current_model(settings.model_dir)
    if model is None:
        return fail("no trained model: run `make model` first")
    try:
        check_model_file(model)
    except ModelFileError as error:
        return fail(str(error))
    if args.input:
        with open(args.input, encoding="utf-8") as stream:
            errors = parse(model, stream)
    else:
        errors = parse(model, sys.stdin)
    return 1 if errors else 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Show the live model's held-out figures, its confusions and its least sure messages."""
    from datetime import datetime, timezone

    from emergebot.nlu_report import build

    report = build(settings.model_dir, settings.var_dir,
                   settings.tracker_store_url or settings.tracker_store_db, args.days,
                   args.limit)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"NLU report of the live model {report.model or '(none)'}"
          + (f", held-out split {report.heldout}" if report.heldout else ""))
    for problem in report.problems:
        print(f"  note: {PROBLEMS[problem.code].format(**problem.params)}")
    if report.languages:
        print("\nlanguage  examples  intent accuracy  out-of-scope recall  precision")
        for f in report.languages:
            print(f"{f.language:<8}  {f.examples:>8}  {f.intent_accuracy:>15.1%}  "
                  f"{_pct(f.out_of_scope_recall):>19}  {_pct(f.out_of_scope_precision):>9}")
    if report.confusions:
        print("\ncommonest confusions (expected -> predicted, held-out examples)")
        for c in report.confusions:
            print(f"  {c.language}  {c.expected} -> {c.predicted}  {c.count}")
    print(f"\nleast sure messages of the last {args.days:g} day(s) from {report.source}: "
          f"{len(report.unsure)}")
    for m in report.unsure:
        seen = datetime.fromtimestamp(m.last_seen, timezone.utc).strftime("%Y-%m-%d %H:%M")
        print(f"  {m.confidence:.2f}  {m.language}  {m.intent or '-'}  {m.count}×  {seen}  "
              f"{m.text}")
    return 0
