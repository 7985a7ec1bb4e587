"""``emergebot nlu ...``: the command tree of the NLU model and the maintainer loop around it.

inbox -> annotate -> train -> evaluate -> promote (-> rollback); models lists the registry,
format keeps the training files canonical, parse runs the model over JSON lines, report shows
how the live model does. This module holds the subcommands and their options; the commands
themselves live by job in ``nlu_data_commands`` (inbox, annotate, format),
``nlu_model_commands`` (train, evaluate, promote, rollback, models) and
``nlu_inspect_commands`` (parse, report).
"""

from __future__ import annotations

import argparse

from emergebot import nlu_data_commands, nlu_inspect_commands, nlu_model_commands
from emergebot.nlu_options import add_inbox_options, add_servers_options, root_parent


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``nlu`` and its commands."""
    nlu = groups.add_parser("nlu", help="the NLU model").add_subparsers(
        dest="command", required=True)
    root = root_parent()
    train = nlu.add_parser("train", parents=[root], help="train, evaluate and register a model")
    train.add_argument("--if-changed", action="store_true",
                       help="skip training when a model of the same data exists")
    train.set_defaults(func=nlu_model_commands.cmd_train)
    parse = nlu.add_parser("parse", help='parse JSON lines {"text": ...} from stdin or --input')
    parse.add_argument("--input", help="a file of JSON lines (default: stdin)")
    parse.add_argument("--model", help="a model file (default: the current model)")
    parse.set_defaults(func=nlu_inspect_commands.cmd_parse)
    inbox = nlu.add_parser("inbox", parents=[root], help="messages the model was unsure about")
    add_inbox_options(inbox)
    inbox.add_argument("--all", action="store_true", help="include labelled and ignored items")
    inbox.add_argument("--json", action="store_true", help="one JSON object per line")
    inbox.set_defaults(func=nlu_data_commands.cmd_inbox)
    annotate = nlu.add_parser("annotate", parents=[root], help="label inbox items one by one")
    add_inbox_options(annotate)
    annotate.set_defaults(func=nlu_data_commands.cmd_annotate)
    evaluate = nlu.add_parser("evaluate", parents=[root],
                              help="score a model on the held-out split (reports, plots)")
    evaluate.add_argument("--model", help="a registered name or a model file (default: current)")
    evaluate.add_argument("--out", help="report directory (default: var/reports/<model>/)")
    evaluate.add_argument("--cross-validation", action="store_true",
                          help="also cross-validate on the training data (slow)")
    evaluate.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    evaluate.set_defaults(func=nlu_model_commands.cmd_evaluate)
    promote = nlu.add_parser("promote", parents=[root],
                             help="make a candidate live if it loses nowhere; hot-swap Rasa")
    promote.add_argument("--model", help="the candidate (default: the newest)")
    promote.add_argument("--force", action="store_true", help="override the gate (recorded)")
    promote.add_argument("--reason", help="why (recorded in the history)")
    add_servers_options(promote)
    promote.set_defaults(func=nlu_model_commands.cmd_promote)
    rollback = nlu.add_parser("rollback", parents=[root],
                              help="put back the model live before the current one")
    rollback.add_argument("--to", help="a registered model (default: the previous live one)")
    add_servers_options(rollback)
    rollback.set_defaults(func=nlu_model_commands.cmd_rollback)
    report = nlu.add_parser("report", help="the live model's held-out figures, confusions "
                            "and least sure messages")
    report.add_argument("--days", type=float, default=7,
                        help="least sure messages of the last N days (default 7)")
    report.add_argument("--limit", type=int, default=20,
                        help="at most N least sure messages (default 20; 0: all)")
    report.add_argument("--json", action="store_true", help="the report as one JSON document")
    report.set_defaults(func=nlu_inspect_commands.cmd_report)
    models = nlu.add_parser("models", help="the registered models, metrics, the live one")
    models.add_argument("--json", action="store_true", help="the registry as JSON")
    models.set_defaults(func=nlu_model_commands.cmd_models)
    fmt = nlu.add_parser("format", parents=[root],
                         help="check the training data and sort every intent's examples")
    fmt.add_argument("--check", action="store_true", help="only report unsorted files")
    fmt.set_defaults(func=nlu_data_commands.cmd_format)
