"""Every process of the running stack answers /health and /ready; the adapter's /metrics
counts a founder's message and names the model Rasa serves."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from emergebot import backup
from emergebot.probes import probes
from hubdata import prometheus
from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - localhost
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def settled(stack: Stack, chat_id: int, timeout_s: float = 10.0) -> None:
    """Wait until every update of the chat is marked done in the update log."""
    database = make_url(stack.settings.database_url).database
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(str(database), timeout=30)) as connection:
            (left,) = connection.execute(
                "select count(*) from incoming_updates where chat_id = ? and status != 'done'",
                (chat_id,)).fetchone()
        if not left:
            return
        time.sleep(0.1)
    raise TimeoutError(f"chat {chat_id} still has unfinished updates")


def alive(url: str, timeout_s: float = 30.0) -> bool:
    """Whether ``url`` answers 200 within the timeout. The supervisor waits for a polling
    adapter by time only (it has no health URL there): its ops server may open a moment later."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if fetch(url)[0] == 200:
                return True
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def test_every_process_is_alive_and_ready(stack: Stack) -> None:
    found = probes(stack.settings)
    started = {c.name for c in stack.children} - {"fake Telegram Bot API"}
    assert {p.name for p in found} == started
    for probe in found:
        assert alive(probe.health), probe.health
        status, body = fetch(probe.ready)
        assert status == 200, f"{probe.name} not ready: {body}"
        if body.startswith("{"):
            assert json.loads(body)["status"] == "ready"


def test_the_adapters_metrics_count_a_message(stack: Stack, chat_id: int) -> None:
    adapter = next(p for p in probes(stack.settings) if p.metrics)
    assert adapter.metrics is not None and alive(adapter.health)
    before = prometheus.parse(fetch(adapter.metrics)[1])
    stack.ask(chat_id, "/help")
    deadline = time.monotonic() + 10
    while True:  # the update is counted done just after its reply is sent
        after = prometheus.parse(fetch(adapter.metrics)[1])
        if (after.get(("emergebot_update_seconds_count", ()), 0)
                > before.get(("emergebot_update_seconds_count", ()), 0)
                or time.monotonic() > deadline):
            break
        time.sleep(0.2)
    kind = ("emergebot_updates_received_total", (("kind", "message"),))
    sent = ("emergebot_messages_sent_total", (("method", "sendMessage"),))
    assert after[kind] >= before.get(kind, 0) + 1
    assert after[sent] >= before.get(sent, 0) + 1
    assert after["emergebot_update_seconds_count", ()] > before.get(
        ("emergebot_update_seconds_count", ()), 0)
    rasa = next(c for c in stack.children if c.name.startswith("rasa server"))
    model = Path(rasa.command[rasa.command.index("--model") + 1]).name
    assert after["emergebot_model_info", (("replica", "0"), ("model", model))] == 1
    assert after["emergebot_database_up", ()] == 1
    assert ("emergebot_update_backlog", (("status", "pending"),)) in after
    assert ("emergebot_open_tickets", (("status", "waiting"),)) in after
    assert ("emergebot_sla_breached_tickets", (("clock", "first_response"),)) in after


def test_the_running_adapter_answers_from_a_restored_backup(
    stack: Stack, chat_id: int, tmp_path: Path,
) -> None:
    [changed] = stack.ask(chat_id, "/language fr")
    assert stack.is_message(changed["text"], "fr", "language.changed"), changed["text"]
    settled(stack, chat_id)  # else the backup holds it unfinished, and it is handled again
    file = backup.backup(stack.settings.database_url, tmp_path / "bot.backup")
    [changed] = stack.ask(chat_id, "/language es")
    assert stack.is_message(changed["text"], "es", "language.changed"), changed["text"]

    done = backup.restore(stack.settings.database_url, file)

    assert done.migrated_to is None
    [reply] = stack.ask(chat_id, "/help")  # the adapter, running throughout, reads the restore
    assert stack.is_message(reply["text"], "fr", "help.commands"), reply["text"]
