"""``emergebot``: the maintainers' command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import warnings
from pathlib import Path

from hubdata.settings import Settings


async def _seed(settings: Settings, files: list[Path] | None) -> int:
    from hubdata import seed
    from hubdata.db import create_schema, make_engine, make_session_factory, transaction

    entries, errors = seed.load_files(files or sorted(seed.RESOURCE_DIR.glob("*.yml")))
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(f"{len(errors)} error(s): nothing was loaded", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        await create_schema(engine)
        async with transaction(make_session_factory(engine)) as session:
            count = await seed.replace_catalogue(session, entries)
    finally:
        await engine.dispose()
    examples = sum(1 for e in entries if e.get("example"))
    print(f"seeded {count} resources ({examples} marked as examples)")
    return 0


def cmd_db_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Create the schema and load the sourced catalogue."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_seed(settings, args.files))


def cmd_nlu_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train the model (only when data or config changed, with --if-changed)."""
    from emergebot.training import train

    train(settings.model_dir, if_changed=args.if_changed)
    return 0


def cmd_nlu_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Parse JSON lines with the trained model."""
    from emergebot import modelfiles
    from emergebot.parsing import parse

    model = Path(args.model) if args.model else modelfiles.current_model(settings.model_dir)
    if model is None or not model.exists():
        print("no trained model: run `make model` first", file=sys.stderr)
        return 1
    if args.input:
        with open(args.input, encoding="utf-8") as stream:
            errors = parse(model, stream)
    else:
        errors = parse(model, sys.stdin)
    return 1 if errors else 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole bot."""
    from emergebot.supervisor import run

    return run(settings)


def build_parser() -> argparse.ArgumentParser:
    """The command tree."""
    parser = argparse.ArgumentParser(prog="emergebot", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)

    db = groups.add_parser("db", help="the resource database").add_subparsers(
        dest="command", required=True)
    seed = db.add_parser("seed", help="create the schema and load data/resources/*.yml")
    seed.add_argument("files", nargs="*", type=Path, help="seed files (default: all)")
    seed.set_defaults(func=cmd_db_seed)

    nlu = groups.add_parser("nlu", help="the NLU model").add_subparsers(
        dest="command", required=True)
    train = nlu.add_parser("train", help="train a model from nlu/ and stories/")
    train.add_argument("--if-changed", action="store_true",
                       help="skip training when a model of the same data exists")
    train.set_defaults(func=cmd_nlu_train)
    parse = nlu.add_parser("parse", help='parse JSON lines {"text": ...} from stdin or --input')
    parse.add_argument("--input", help="a file of JSON lines (default: stdin)")
    parse.add_argument("--model", help="a model file (default: the current model)")
    parse.set_defaults(func=cmd_nlu_parse)

    run = groups.add_parser("run", help="run the bot (terminal chat without a Telegram token)")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``.venv/bin/emergebot``."""
    # TensorFlow (imported by Rasa) and Rasa's telemetry are noisy or reach out: quiet them.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    args = build_parser().parse_args(argv)
    return int(args.func(args, Settings.from_env()) or 0)


if __name__ == "__main__":
    sys.exit(main())
