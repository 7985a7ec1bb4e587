"""``emergebot nlu train|evaluate|promote|rollback|models``: a model's way from training to live.

``train`` trains, evaluates and registers a model, ``evaluate`` scores one on the held-out split,
``promote`` makes a candidate live past the gate (hot-swapping running Rasa servers),
``rollback`` puts the previous live model back, ``models`` lists the registry.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from emergebot.nlu_options import fail, project_of
from hubdata.settings import Settings

if TYPE_CHECKING:  # the modules behind the commands are imported when a command runs
    from emergebot.lifecycle import Target


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train, evaluate and register a model (only when data or config changed, with
    --if-changed)."""
    from emergebot.nlu_data import DataErrors
    from emergebot.training import TrainingError, train

    try:
        train(settings.model_dir, if_changed=args.if_changed, root=project_of(args).root,
              var_dir=settings.var_dir)
    except DataErrors as error:
        return fail(f"{error}\n{len(error.errors)} problem(s): nothing was trained")
    except TrainingError as error:
        return fail(str(error))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Score a model on the held-out split; write the reports and plots."""
    from emergebot import modelfiles
    from emergebot.evaluation import evaluate, summary
    from emergebot.registry import ModelFileError, Registry, check_model_file, locked
    from emergebot.training import report_dir

    project = project_of(args)
    registry = Registry(settings.model_dir)
    if args.model and args.model in registry.models:
        model: Path | None = registry.path_of(args.model)
    else:
        model = Path(args.model) if args.model else modelfiles.current_model(
            settings.model_dir, project.root)
    if model is None:
        return fail("no trained model: run `emergebot nlu train` first")
    try:
        check_model_file(model)
    except ModelFileError as error:
        return fail(str(error))
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
    return Target(settings.model_dir, settings.var_dir, project_of(args),
                  [Server(url, settings.rasa_token) for url in urls])


def cmd_promote(args: argparse.Namespace, settings: Settings) -> int:
    """Make a candidate live after the gate, swapping running Rasa servers one at a time."""
    from emergebot.lifecycle import LifecycleError, promote

    try:
        promote(_target(args, settings), args.model, args.force, args.reason)
    except LifecycleError as error:
        return fail(f"{error}\nnothing was changed")
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    """Put the previous live model back, the same way."""
    from emergebot.lifecycle import LifecycleError, rollback

    try:
        rollback(_target(args, settings), args.to)
    except LifecycleError as error:
        return fail(f"{error}\nnothing was changed")
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
