"""``emergebot``: the maintainers' command line."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from emergebot import (
    db_commands,
    founder_commands,
    nlu_commands,
    resources_commands,
    staff_commands,
)
from hubdata.settings import Settings

# Each module adds one command group with a register(groups) function.
COMMAND_GROUPS = [db_commands, nlu_commands, staff_commands, founder_commands,
                  resources_commands]


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole bot (the production layout with --production)."""
    from emergebot.supervisor import run

    if args.production:
        from emergebot import production

        production.apply_defaults(os.environ)
        production.prepare()
        settings = Settings.from_env()
    return run(settings)


def build_parser() -> argparse.ArgumentParser:
    """The command tree."""
    parser = argparse.ArgumentParser(prog="emergebot", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)
    for module in COMMAND_GROUPS:
        module.register(groups)
    run = groups.add_parser("run", help="run the bot (terminal chat without a Telegram token)")
    run.add_argument("--production", action="store_true",
                     help="PostgreSQL, Redis, two replicas of each process, webhooks")
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
