"""The whole benchmark run: baseline model, load on both systems, NLU alone, training, report."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench import against as against_rev
from bench import report as report_file
from bench import targets, training
from bench.founders import parse_texts
from bench.system import LoadPlan, run_system
from emergebot import modelfiles
from hubdata.settings import PROJECT_ROOT, Settings

BENCH_DIR = Path(__file__).resolve().parent
SHARED_MACHINE_NOTE = (
    "Figures were taken on a shared 2-core machine while other work may have been running "
    "(see the load averages); rerun for a quiet-machine figure."
)


@dataclass
class Options:
    """What one benchmark run does."""

    plan: LoadPlan = field(default_factory=LoadPlan)
    layout: str = "embedded"
    results_dir: Path = BENCH_DIR / "results"
    model: Path | None = None
    baseline: bool = True
    retrain_baseline: bool = False
    stale_baseline_ok: bool = False
    training: bool = True
    accuracy: bool = True
    against: str | None = None  # a git revision: the same load on a stack of its code
    command: str = "make bench"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def our_model(model_dir: Path) -> Path | None:
    """The model ``emergebot run`` serves: the registry's live one, else the current one."""
    try:
        from emergebot.registry import serving_model
    except ImportError:  # a tree without the model registry
        return modelfiles.current_model(model_dir)
    return serving_model(model_dir)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _phase(report: dict[str, Any], name: str, action: Callable[[], Any]) -> Any:
    """Run one phase; a failure is recorded in the report and the run goes on (except a stack
    of ``--against`` that would not run its revision's code: that stops the run)."""
    print(f"== {name}", flush=True)
    try:
        return action()
    except against_rev.WrongCode:
        raise
    except Exception as error:  # noqa: BLE001 - one failed phase must not lose the others
        traceback.print_exc()
        report["errors"].append(f"{name}: {type(error).__name__}: {error}")
        return None


def nlu_probe(model: Path, texts: list[str], out_dir: Path, heldout: bool) -> dict[str, Any]:
    """Run ``bench.nlu_probe`` in a child process and return its JSON result."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts_file, out = out_dir / "parse-texts.json", out_dir / "nlu-probe.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "bench.nlu_probe",
        "--model",
        str(model),
        "--texts",
        str(texts_file),
        "--out",
        str(out),
    ]
    if not heldout:
        command.append("--no-heldout")
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONHASHSEED": "0",
    }
    with open(out_dir / "nlu-probe.log", "wb") as log:
        subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True
        )
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def run_against(
    revision: against_rev.Revision,
    model: Path,
    options: Options,
    artifacts: Path,
    report: dict[str, Any],
) -> dict[str, Any]:
    """The load of ``options.plan`` on a stack of ``revision``'s code serving ``model``.

    The revision is checked out in a temporary worktree (removed afterwards, also on failure),
    its catalogs compiled; a failed phase is recorded as in :func:`_phase`.
    """
    label = f"{revision.short} ({revision.rev})"
    system: dict[str, Any] = {"model": model.name}
    with against_rev.worktree(revision) as tree:
        print(f"== worktree of {label} in {tree}", flush=True)
        compiled = _phase(
            report,
            f"catalogs of {label}",
            partial(against_rev.compile_catalogs, tree, artifacts / "catalogs.log"),
        )
        if compiled is None:
            return {**system, "error": "its catalogs did not compile"}
        result = _phase(
            report,
            f"load on {label} ({model.name})",
            partial(
                asyncio.run,
                run_system(model, options.plan, options.layout, artifacts, source=tree),
            ),
        )
    return {**system, **(result or {"error": "the load phase failed"})}


def run(options: Options) -> Path:
    """Run the benchmark; write the reports; return the path of the Markdown report."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    artifacts = options.results_dir / stamp
    report: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": options.command,
            "layout": options.layout,
            "git": _git_commit(),
            "cores": os.cpu_count(),
            "load_before": _load(),
            "note": SHARED_MACHINE_NOTE,
            "plan": asdict(options.plan),
            "artifacts": str(artifacts),
        },
        "systems": {},
        "errors": [],
    }
    revision = against_rev.resolve(options.against) if options.against else None
    ours = options.model or our_model(Settings.from_env().model_dir)
    if ours is None:
        raise SystemExit("no trained model: run `make model` first")
    models: dict[str, Path] = {"ours": ours}
    report["systems"]["ours"] = {"model": ours.name}
    if options.baseline:
        trained = _phase(
            report,
            "default-config baseline model",
            lambda: training.baseline_model(
                options.results_dir / "cache",
                retrain=options.retrain_baseline,
                allow_stale=options.stale_baseline_ok,
            ),
        )
        if trained is not None and trained.note:
            report["errors"].append(f"default-config baseline {trained.note}")
        if trained is not None:
            models["baseline"] = trained.path
            report["systems"]["baseline"] = {
                "model": trained.path.name,
                "training": trained.to_json(),
            }
    for key, model in models.items():
        result = _phase(
            report,
            f"load on {key} ({model.name})",
            partial(asyncio.run, run_system(model, options.plan, options.layout, artifacts / key)),
        )
        report["systems"][key].update(result or {"error": "the load phase failed"})
    if revision is not None:
        report["against"] = {
            "revision": revision.to_json(),
            "model": ours.name,
            "system": run_against(revision, ours, options, artifacts / "against", report),
        }
    texts = parse_texts(options.plan.parse_per_language)
    for key, model in models.items():
        nlu = _phase(
            report,
            f"NLU alone: {key}",
            partial(nlu_probe, model, texts, artifacts / key, options.accuracy),
        )
        if nlu is not None:
            report["systems"][key]["nlu"] = nlu
    if options.training:
        trained = _phase(
            report,
            "full training of our model (cold cache)",
            lambda: training.time_our_training(artifacts / "ours"),
        )
        if trained is not None:
            report["systems"]["ours"]["training"] = trained.to_json()
    baseline = report["systems"].get("baseline")
    report["targets"] = targets.evaluate(report["systems"]["ours"], baseline)
    report["ratios"] = targets.ratios(report["systems"]["ours"], baseline) if baseline else []
    if revision is not None:
        report["against"]["comparison"] = against_rev.comparison(
            report["systems"]["ours"], report["against"]["system"]
        )
    report["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    report["meta"]["load_after"] = _load()
    _, md_path = report_file.write(report, options.results_dir, stamp)
    return md_path
