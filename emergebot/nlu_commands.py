"""``emergebot nlu ...``: the NLU model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hubdata.settings import Settings


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train the model (only when data or config changed, with --if-changed)."""
    from emergebot.training import train

    train(settings.model_dir, if_changed=args.if_changed)
    return 0


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
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


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``nlu`` and its commands."""
    nlu = groups.add_parser("nlu", help="the NLU model").add_subparsers(
        dest="command", required=True)
    train = nlu.add_parser("train", help="train a model from nlu/ and stories/")
    train.add_argument("--if-changed", action="store_true",
                       help="skip training when a model of the same data exists")
    train.set_defaults(func=cmd_train)
    parse = nlu.add_parser("parse", help='parse JSON lines {"text": ...} from stdin or --input')
    parse.add_argument("--input", help="a file of JSON lines (default: stdin)")
    parse.add_argument("--model", help="a model file (default: the current model)")
    parse.set_defaults(func=cmd_parse)
