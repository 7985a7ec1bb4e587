"""Telegram's update ids repeat: a second run against a Bot API whose ids start at 1 again
(what a new user meets with two `make run`s, and what a new token or a quiet week does) is
answered, not dropped as "already handled"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import start_stack, stop_stack

pytestmark = pytest.mark.e2e


def test_a_second_run_whose_bot_api_restarts_its_ids_is_answered(tmp_path: Path) -> None:
    chat = 31_337
    seen = []
    for run in (1, 2):  # the same database, a new fake Bot API each time
        stack = start_stack(tmp_path)
        try:
            update = stack.send(chat, f"hello, run {run}")
            seen.append(update["update_id"])
            [reply] = stack.replies(chat, timeout=30)
            assert stack.is_message(reply["text"], "en", "greet"), (run, reply["text"])
        finally:
            stop_stack(stack)
    assert seen[0] == seen[1]  # the same id, two different messages: both answered
