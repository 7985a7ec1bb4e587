"""``emergebot nlu ...``: the NLU model and the maintainer loop around it.

inbox -> annotate -> train -> evaluate -> promote (-> rollback); models lists the registry,
format keeps the training files canonical, parse runs the model over JSON lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hubdata.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:  # the modules behind the commands are imported when a command runs
    from emergebot.inbox import InboxItem
    from emergebot.inbox_state import InboxState
    from emergebot.lifecycle import Target
    from emergebot.nlu_data import Project


def _project(args: argparse.Namespace) -> Project:
    from emergebot.nlu_data import Project

    return Project(Path(args.root).resolve())


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train, evaluate and register a model (only when data or config changed, with
    --if-changed)."""
    from emergebot.nlu_data import DataErrors
    from emergebot.training import TrainingError, train

    try:
        train(settings.model_dir, if_changed=args.if_changed, root=_project(args).root,
              var_dir=settings.var_dir)
    except DataErrors as error:
        return _fail(f"{error}\n{len(error.errors)} problem(s): nothing was trained")
    except TrainingError as error:
        return _fail(str(error))
    return 0


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Parse JSON lines with the trained model."""
    from emergebot import modelfiles
    from emergebot.parsing import parse
    from emergebot.registry import ModelFileError, check_model_file

    model = Path(args.model) if args.model else modelfiles.current_model(settings.model_dir)
    if model is None:
        return _fail("no trained model: run `make model` first")
    try:
        check_model_file(model)
    except ModelFileError as error:
        return _fail(str(error))
    if args.input:
        with open(args.input, encoding="utf-8") as stream:
            errors = parse(model, stream)
    else:
        errors = parse(model, sys.stdin)
    return 1 if errors else 0


def _inbox_items(args: argparse.Namespace, settings: Settings
                 ) -> tuple[list[InboxItem], InboxState, str, str]:
    """The inbox (tracker store and staff topics), its state, its source and a note."""
    from emergebot import inbox
    from emergebot.inbox_state import InboxState
    from emergebot.staff_topics import staff_items

    source = settings.tracker_store_url or settings.tracker_store_db
    criteria = inbox.Criteria(args.threshold, args.margin, inbox.since_days(args.since_days))
    turns = inbox.read_turns(inbox.tracker_url(source), criteria.since)
    try:
        staff, note = staff_items(settings.database_url, _project(args).intents())
    except Exception as error:  # noqa: BLE001 - the staff desk's schema is not ours
        staff, note = [], f"tickets not read ({error.__class__.__name__}: {error})"
    state = InboxState(settings.var_dir / "nlu-inbox.json")
    items = [i for i in inbox.ordered(inbox.collect(turns, criteria, staff))
             if args.language in (None, i.language)]
    return items, state, inbox.shown_url(source), note


def cmd_inbox(args: argparse.Namespace, settings: Settings) -> int:
    """List the messages the model was unsure about, grouped, most frequent first."""
    from emergebot import inbox
    from emergebot.annotate import pending

    try:
        items, state, source, note = _inbox_items(args, settings)
    except inbox.InboxError as error:
        return _fail(str(error))
    shown = items if args.all else list(pending(items, state))
    shown = shown[: args.limit] if args.limit else shown
    if args.json:
        for item in shown:
            print(json.dumps(item.as_json(), ensure_ascii=False))
        return 0
    counts = state.counts()
    print(f"NLU inbox: {len(shown)} message(s) to label from {source} "
          f"({counts['labelled']} labelled and {counts['ignored']} ignored before); {note}")
    for language, intent, members in inbox.grouped(shown):
        print(f"\n{language} · {intent} · {sum(m.count for m in members)} message(s)")
        for item in members:
            why = ", ".join(inbox.REASONS[r] for r in sorted(item.reasons))
            top = " / ".join(f"{name} {conf:.2f}" for name, conf in item.suggestions)
            staff = f"; staff topic {item.staff_topic}" if item.staff_topic else ""
            print(f"  {item.count:>3}×  {item.text}\n        {why}: {top or '-'}{staff}")
    if shown:
        print("\nlabel them with: emergebot nlu annotate")
    return 0


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


def cmd_annotate(args: argparse.Namespace, settings: Settings) -> int:
    """Label inbox items one by one; each label goes into nlu/data/<lang>/<concern>.yml."""
    from emergebot import inbox
    from emergebot.annotate import Annotator, pending
    from emergebot.nlu_data import check

    project = _project(args)
    errors = check(project)
    if errors:
        return _fail("\n".join(str(e) for e in errors) + "\nfix the training data first")
    try:
        items, state, _, _ = _inbox_items(args, settings)
    except inbox.InboxError as error:
        return _fail(str(error))
    todo = list(pending(items, state))[: args.limit or None]
    if not todo:
        print("the inbox is empty")
        return 0
    tally = Annotator(project, state, sys.stdin, sys.stdout).run(todo)
    print(f"\n{tally.labelled} labelled, {tally.ignored} ignored, {tally.skipped} skipped")
    for name, count in sorted(tally.written.items()):
        print(f"  {name}: {count} new example(s)")
    if tally.labelled:
        print("next: emergebot nlu train")
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Score a model on the held-out split; write the reports and plots."""
    from emergebot import modelfiles
    from emergebot.evaluation import evaluate, summary
    from emergebot.registry import ModelFileError, Registry, check_model_file, locked
    from emergebot.training import report_dir

    project = _project(args)
    registry = Registry(settings.model_dir)
    if args.model and args.model in registry.models:
        model: Path | None = registry.path_of(args.model)
    else:
        model = Path(args.model) if args.model else modelfiles.current_model(
            settings.model_dir, project.root)
    if model is None:
        return _fail("no trained model: run `emergebot nlu train` first")
    try:
        check_model_file(model)
    except ModelFileError as error:
        return _fail(str(error))
    out_dir = Path(args.out) if args.out else report_dir(settings.var_dir, model)
    extra = None
    if args.cross_validation:
        from emergebot.crossvalidation import cross_validate

        extra = {"cross_validation": cross_validate(project, args.folds)}
    report = evaluate(model, out_dir, heldout_dir=project.heldout_dir, extra=extra)
    name = model.name.removesuffix(".tar.gz")
    with locked(settings.model_dir) as current:
        entry = current.models.get(name)
        if entry is not None and entry.get("sha256") == report["model_sha256"]:
            entry["metrics"] = summary(report)
            current.save()
    print((out_dir / "report.md").read_text(encoding="utf-8"))
    print(f"report: {out_dir / 'report.md'} (JSON: report.json, plots: *.png)")
    return 0


def _target(args: argparse.Namespace, settings: Settings) -> Target:
    from emergebot.hotswap import Server
    from emergebot.lifecycle import Target

    urls = [] if args.no_servers else (args.rasa_url or settings.rasa_urls)
    return Target(settings.model_dir, settings.var_dir, _project(args),
                  [Server(url, settings.rasa_token) for url in urls])


def cmd_promote(args: argparse.Namespace, settings: Settings) -> int:
    """Make a candidate live after the gate, swapping running Rasa servers one at a time."""
    from emergebot.lifecycle import LifecycleError, promote

    try:
        promote(_target(args, settings), args.model, args.force, args.reason)
    except LifecycleError as error:
        return _fail(f"{error}\nnothing was changed")
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """Put the previous live model back, the same way."""
    from emergebot.lifecycle import LifecycleError, rollback

    try:
        rollback(_target(args, settings), args.to)
    except LifecycleError as error:
        return _fail(f"{error}\nnothing was changed")
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """List the registered models with their metrics; mark the live one."""
    from emergebot.lifecycle import listing
    from emergebot.registry import Registry

    registry = Registry(settings.model_dir)
    if args.json:
        print(json.dumps({"live": registry.live_name, "models": registry.models,
                          "history": registry.history}, indent=2, ensure_ascii=False))
        return 0
    if not registry.models:
        print(f"no registered model in {registry.path}: run `emergebot nlu train`")
        return 0
    print("\n".join(listing(registry)))
    return 0


def cmd_format(args: argparse.Namespace, settings: Settings) -> int:
    """Check the training data; rewrite (or with --check, list) files not in canonical form."""
    from emergebot import nlu_yaml
    from emergebot.nlu_data import check, write_atomically

    project = _project(args)
    errors = check(project)
    if errors:
        return _fail("\n".join(str(e) for e in errors) + f"\n{len(errors)} problem(s)")
    changed = []
    for path in project.training_files():
        content = path.read_text(encoding="utf-8")
        canonical = nlu_yaml.render(nlu_yaml.parse(content, str(path)))
        if canonical != content:
            changed.append(project.relative(path))
            if not args.check:
                write_atomically(path, canonical)
    if args.check and changed:
        return _fail("not in canonical form (run `emergebot nlu format`):\n  "
                     + "\n  ".join(changed))
    print(f"{len(changed)} file(s) rewritten" if not args.check else "training data canonical")
    return 0


def _inbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threshold", type=float, default=0.6,
                        help="confidence under which a message is unsure (default 0.6)")
    parser.add_argument("--margin", type=float, default=0.1,
                        help="top-two confidence gap under which intents are too close (0.1)")
    parser.add_argument("--since-days", type=float, help="only messages of the last N days")
    parser.add_argument("--language", help="only this language (en, fr, es, ar, ru, zh, pt)")
    parser.add_argument("--limit", type=int, help="at most N items")


def _servers_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rasa-url", action="append",
                        help="a Rasa server to swap (repeat; default: every replica of the "
                             "settings, RASA_PORT and RASA_REPLICAS)")
    parser.add_argument("--no-servers", action="store_true",
                        help="no server is running: only record the change in the registry")


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``nlu`` and its commands."""
    nlu = groups.add_parser("nlu", help="the NLU model").add_subparsers(
        dest="command", required=True)
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument("--root", default=str(PROJECT_ROOT),
                      help="project directory with nlu/, stories/, tests/nlu/heldout/")
    train = nlu.add_parser("train", parents=[root], help="train, evaluate and register a model")
    train.add_argument("--if-changed", action="store_true",
                       help="skip training when a model of the same data exists")
    train.set_defaults(func=cmd_train)
    parse = nlu.add_parser("parse", help='parse JSON lines {"text": ...} from stdin or --input')
    parse.add_argument("--input", help="a file of JSON lines (default: stdin)")
    parse.add_argument("--model", help="a model file (default: the current model)")
    parse.set_defaults(func=cmd_parse)
    inbox = nlu.add_parser("inbox", parents=[root], help="messages the model was unsure about")
    _inbox_options(inbox)
    inbox.add_argument("--all", action="store_true", help="include labelled and ignored items")
    inbox.add_argument("--json", action="store_true", help="one JSON object per line")
    inbox.set_defaults(func=cmd_inbox)
    annotate = nlu.add_parser("annotate", parents=[root], help="label inbox items one by one")
    _inbox_options(annotate)
    annotate.set_defaults(func=cmd_annotate)
    evaluate = nlu.add_parser("evaluate", parents=[root],
                              help="score a model on the held-out split (reports, plots)")
    evaluate.add_argument("--model", help="a registered name or a model file (default: current)")
    evaluate.add_argument("--out", help="report directory (default: var/reports/<model>/)")
    evaluate.add_argument("--cross-validation", action="store_true",
                          help="also cross-validate on the training data (slow)")
    evaluate.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    evaluate.set_defaults(func=cmd_evaluate)
    promote = nlu.add_parser("promote", parents=[root],
                             help="make a candidate live if it loses nowhere; hot-swap Rasa")
    promote.add_argument("--model", help="the candidate (default: the newest)")
    promote.add_argument("--force", action="store_true", help="override the gate (recorded)")
    promote.add_argument("--reason", help="why (recorded in the history)")
    _servers_options(promote)
    promote.set_defaults(func=cmd_promote)
    rollback = nlu.add_parser("rollback", parents=[root],
                              help="put back the model live before the current one")
    rollback.add_argument("--to", help="a registered model (default: the previous live one)")
    _servers_options(rollback)
    rollback.set_defaults(func=cmd_rollback)
    report = nlu.add_parser("report", help="the live model's held-out figures, confusions "
                            "and least sure messages")
    report.add_argument("--days", type=float, default=7,
                        help="least sure messages of the last N days (default 7)")
    report.add_argument("--limit", type=int, default=20,
                        help="at most N least sure messages (default 20; 0: all)")
    report.add_argument("--json", action="store_true", help="the report as one JSON document")
    report.set_defaults(func=cmd_report)
    models = nlu.add_parser("models", help="the registered models, metrics, the live one")
    models.add_argument("--json", action="store_true", help="the registry as JSON")
    models.set_defaults(func=cmd_models)
    fmt = nlu.add_parser("format", parents=[root],
                         help="check the training data and sort every intent's examples")
    fmt.add_argument("--check", action="store_true", help="only report unsorted files")
    fmt.set_defaults(func=cmd_format)
