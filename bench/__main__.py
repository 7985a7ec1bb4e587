"""``python -m bench``: benchmark the whole stack and a default-config Rasa beside it.

``make bench`` runs it; pass options with ``make bench BENCH_ARGS="--quick --skip-baseline"``.
``--against REV`` runs the same load, after ours, on a stack of the code at git revision REV
(a temporary worktree) serving the same model, and shows its figures beside ours; it implies
``--skip-baseline`` unless ``--with-baseline`` is given.
The reports go to ``bench/results/latest.md`` and ``latest.json`` (and timestamped copies).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.schedule import ARRIVALS
from bench.system import LoadPlan

QUICK: dict[str, Any] = {
    "founders": 20,
    "warmup_s": 4.0,
    "target_step_s": 10.0,
    "step_s": 6.0,
    "up": (30.0, 60.0),
    "down": (15.0,),
    "profile_s": 5.0,
    "parse_per_language": 5,
}


def _rates(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(",") if x.strip())


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short ladder (30, 60 msg/s), short steps, 20 founders: development",
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not train, load or compare the default-config model",
    )
    parser.add_argument(
        "--retrain-baseline",
        action="store_true",
        help="train the default-config model even if a cached one matches",
    )
    parser.add_argument(
        "--stale-baseline-ok",
        action="store_true",
        help="if the data changed since the cached default-config model was trained, reuse it "
        "anyway (the report says so) instead of training for an hour",
    )
    parser.add_argument(
        "--skip-training", action="store_true", help="do not time a full training of our model"
    )
    parser.add_argument(
        "--skip-accuracy", action="store_true", help="do not score the held-out split"
    )
    parser.add_argument("--skip-profile", action="store_true", help="no py-spy pass")
    parser.add_argument(
        "--keep-telegram-limit",
        action="store_true",
        help="keep the adapter's global limit of 30 messages a second",
    )
    parser.add_argument("--founders", type=int, help="founders present from the start (60)")
    parser.add_argument(
        "--rates",
        type=_rates,
        help="ladder rates to climb, comma-separated (30,40,50,60,70,80,100,...)",
    )
    parser.add_argument("--step-seconds", type=float, help="length of a ladder step (10)")
    parser.add_argument("--target-seconds", type=float, help="length of the 30 msg/s step (30)")
    parser.add_argument("--arrivals", choices=ARRIVALS, help="gaps between messages (poisson)")
    parser.add_argument("--seed", type=int, help="seed of every random choice (1)")
    parser.add_argument("--layout", default="embedded", help="stack layout (embedded)")
    parser.add_argument("--model", type=Path, help="our model (default: the current one)")
    parser.add_argument("--results-dir", type=Path, help="where reports go (bench/results)")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run the same load on a stack of the code at git revision REV (e.g. HEAD~1), "
        "checked out in a temporary worktree, serving the same model (--model applies to both); "
        "implies --skip-baseline unless --with-baseline",
    )
    parser.add_argument(
        "--with-baseline",
        action="store_true",
        help="with --against, run the default-config baseline too",
    )
    parser.add_argument(
        "--clinc150",
        action="store_true",
        help="only the CLINC150 benchmark (bench/clinc150.py; --skip-baseline and "
        "--retrain-baseline apply to its default-pipeline row)",
    )
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> LoadPlan:
    """The load plan: defaults, then --quick, then explicit options."""
    plan = LoadPlan()
    if args.quick:
        plan = replace(plan, **QUICK)
    explicit: dict[str, Any] = {
        "founders": args.founders,
        "up": args.rates,
        "step_s": args.step_seconds,
        "target_step_s": args.target_seconds,
        "arrivals": args.arrivals,
        "seed": args.seed,
    }
    plan = replace(plan, **{k: v for k, v in explicit.items() if v is not None})
    if args.keep_telegram_limit:
        plan = replace(plan, env={})
    return replace(plan, profile_s=0.0) if args.skip_profile else plan


def wants_baseline(args: argparse.Namespace) -> bool:
    """Whether to run the default-config baseline: not with --skip-baseline, and with
    --against only when --with-baseline asks for it (two stacks of ours are enough load)."""
    if args.skip_baseline:
        return False
    return args.against is None or args.with_baseline


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print where the report is."""
    from bench.runner import Options, run

    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.clinc150:
        from bench import clinc150

        clinc_argv = [flag for flag in ("--skip-baseline", "--retrain-baseline")
                      if getattr(args, flag[2:].replace("-", "_"))]
        if args.results_dir is not None:
            clinc_argv += ["--results-dir", str(args.results_dir)]
        return clinc150.main(clinc_argv)
    options = Options(
        plan=plan_from(args),
        layout=args.layout,
        model=args.model,
        baseline=wants_baseline(args),
        retrain_baseline=args.retrain_baseline,
        stale_baseline_ok=args.stale_baseline_ok,
        training=not args.skip_training,
        accuracy=not args.skip_accuracy,
        against=args.against,
        command=" ".join(["python -m bench", *map(shlex.quote, argv)]),
    )
    if args.results_dir is not None:
        options.results_dir = args.results_dir
    md_path = run(options)
    print(md_path.read_text(encoding="utf-8"))
    print(f"report: {md_path} (and latest.md / latest.json beside it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
