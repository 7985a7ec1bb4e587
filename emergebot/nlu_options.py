"""What several ``emergebot nlu`` commands share: their common options, the project that
``--root`` names, and how a command reports a failure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hubdata.settings import PROJECT_ROOT

if TYPE_CHECKING:  # the NLU data modules are imported when a command runs
    from emergebot.nlu_data import Project


def root_parent() -> argparse.ArgumentParser:
    """A parent parser with ``--root``, for the commands that read the project's files."""
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument("--root", default=str(PROJECT_ROOT),
                      help="project directory with nlu/, stories/, tests/nlu/heldout/")
    return root


def add_inbox_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that choose inbox items (``inbox`` and ``annotate``)."""
    parser.add_argument("--threshold", type=float, default=0.6,
                        help="confidence under which a message is unsure (default 0.6)")
    parser.add_argument("--margin", type=float, default=0.1,
                        help="top-two confidence gap under which intents are too close (0.1)")
    parser.add_argument("--since-days", type=float, help="only messages of the last N days")
    parser.add_argument("--language", help="only this language (en, fr, es, ar, ru, zh, pt)")
    parser.add_argument("--limit", type=int, help="at most N items")


def add_servers_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that choose the Rasa servers to swap (``promote`` and ``rollback``)."""
    parser.add_argument("--rasa-url", action="append",
                        help="a Rasa server to swap (repeat; default: every replica of the "
                             "settings, RASA_PORT and RASA_REPLICAS)")
    parser.add_argument("--no-servers", action="store_true",
                        help="no server is running: only record the change in the registry")


def project_of(args: argparse.Namespace) -> Project:
    """The project directory named by ``--root``."""
    from emergebot.nlu_data import Project

    return Project(Path(args.root).resolve())


def fail(message: str) -> int:
    """Print ``message`` to stderr; return the failing exit code."""
    print(message, file=sys.stderr)
    return 1
