"""The ``emergebot nlu`` command tree: its subcommands, their shared options, a command run."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from emergebot.cli import build_parser
from emergebot.cli import main as cli

COMMANDS = ["train", "parse", "inbox", "annotate", "evaluate", "promote", "rollback", "report",
            "models", "format"]


def _nlu_commands() -> dict[str, argparse.ArgumentParser]:
    groups = next(a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    nlu = next(a for a in groups.choices["nlu"]._actions
               if isinstance(a, argparse._SubParsersAction))
    return dict(nlu.choices)


def test_every_command_is_registered_in_order_with_its_function() -> None:
    commands = _nlu_commands()
    assert list(commands) == COMMANDS
    for name, parser in commands.items():
        func = parser.get_default("func")
        assert func.__name__ == f"cmd_{name}", name
        assert func.__module__.startswith("emergebot.nlu_") and func.__module__.endswith(
            "_commands"), name


def test_the_shared_options_reach_the_commands_that_take_them() -> None:
    args = build_parser().parse_args(["nlu", "annotate", "--root", "/somewhere",
                                      "--threshold", "0.5", "--since-days", "3"])
    assert (args.root, args.threshold, args.margin, args.since_days) == (
        "/somewhere", 0.5, 0.1, 3.0)
    args = build_parser().parse_args(["nlu", "rollback", "--no-servers", "--to", "m1"])
    assert args.no_servers and args.rasa_url is None and args.to == "m1"


def test_models_on_an_empty_registry_points_to_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EMERGEBOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("EMERGEBOT_MODEL_DIR", str(tmp_path / "models"))
    assert cli(["nlu", "models"]) == 0
    assert "no registered model in" in capsys.readouterr().out
