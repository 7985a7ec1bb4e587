"""Processes that go away and come back: no founder message is lost.

These tests stop and restart parts of the shared stack, so they run last (file order).
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e


def update_status(stack: Stack, update_id: int) -> str | None:
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        row = db.execute("select status from incoming_updates where update_id = ?",
                         (update_id,)).fetchone()
    return row[0] if row else None


def test_a_message_sent_while_rasa_is_down_is_answered_when_it_is_back(
    stack: Stack, chat_id: int
) -> None:
    stack.stop_child("rasa server")
    try:
        update = stack.send(chat_id, "good evening", language_code="fr")
        [notice] = stack.replies(chat_id)
        assert stack.is_message(notice["text"], "fr", "error.nlu_unavailable"), notice["text"]
        deadline = time.monotonic() + 10
        while update_status(stack, update["update_id"]) != "retry" and (
                time.monotonic() < deadline):
            time.sleep(0.05)
        assert update_status(stack, update["update_id"]) == "retry"
    finally:
        started = time.monotonic()
        stack.start_child("rasa server")
    [answer] = stack.replies(chat_id, timeout=60)
    recovery = time.monotonic() - started
    assert stack.is_message(answer["text"], "fr", "greet"), answer["text"]
    deadline = time.monotonic() + 10
    while update_status(stack, update["update_id"]) != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert update_status(stack, update["update_id"]) == "done"
    print(f"answered {recovery:.1f} s after Rasa was restarted")


def test_the_adapter_resumes_updates_left_unfinished_by_a_crash(
    stack: Stack, chat_id: int
) -> None:
    stack.stop_child("telegram adapter")
    update_id = 900_000_000 + chat_id
    payload = {"update_id": update_id, "message": {
        "message_id": 1, "date": int(time.time()), "text": "hello",
        "chat": {"id": chat_id, "type": "private", "first_name": "F"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "F", "language_code": "es"}}}
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        db.execute("insert into incoming_updates (update_id, chat_id, payload, status, attempts, "
                   "received_at) values (?, ?, ?, 'pending', 1, '2026-01-01 00:00:00')",
                   (update_id, chat_id, json.dumps(payload)))
    stack.start_child("telegram adapter")
    [reply] = stack.replies(chat_id, timeout=30)
    assert stack.is_message(reply["text"], "es", "greet"), reply["text"]
    deadline = time.monotonic() + 10
    while update_status(stack, update_id) != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert update_status(stack, update_id) == "done"


def test_a_failing_action_server_gets_a_clear_answer_then_the_real_one(
    stack: Stack, chat_id: int
) -> None:
    stack.stop_child("action server")
    try:
        [notice] = stack.ask(chat_id, "any grants for fintech in Ghana?", timeout=40)
        assert stack.is_message(notice["text"], "en", "error.nlu_unavailable"), notice["text"]
    finally:
        stack.start_child("action server")
    [reply] = stack.replies(chat_id, timeout=60)  # retried once the action server is back
    assert stack.is_message(reply["text"], "en", "results.found"), reply["text"]


def test_no_secret_reaches_a_log(stack: Stack) -> None:
    from bot.app import LOCAL_TOKEN

    secrets = [stack.env["RASA_TOKEN"], LOCAL_TOKEN, LOCAL_TOKEN.split(":")[1]]
    logs = list((stack.tmp / "logs").glob("*.log"))
    assert logs, "the processes wrote no logs"
    for log in logs:
        text = log.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"{log.name} contains a secret"
