"""Every process's log file, after a founder wrote personal data and a token-shaped string; and
the command lines of every process, which anyone on the machine can read."""

from __future__ import annotations

import secrets
import sqlite3
import string
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import LOCAL_TOKEN
from tests.e2e.desk import latest_ticket, wait_for
from tests.e2e.harness import STAFF_CHAT_ID, Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e
# One log file per process; each must have written lines, or a clean scan proves nothing.
PROCESS_LOGS = ("action-server.log", "rasa-server.log", "staff-console.log",
                "telegram-adapter.log")


def founder_words() -> dict[str, str]:
    """What one founder writes, unique to this run so a match cannot come from elsewhere."""
    tag = secrets.token_hex(4)
    token_chars = string.ascii_letters + string.digits + "_-"
    return {
        "text": f"quokka{tag}",
        "name": f"Abenaa{tag}",
        "phone": f"+233 24 {secrets.randbelow(900) + 100} {secrets.randbelow(9000) + 1000}",
        "email": f"ama.{tag}@example.org",
        "token": f"{secrets.randbelow(9 * 10**9) + 10**9}:"
                 + "".join(secrets.choice(token_chars) for _ in range(35)),
    }


def talk(stack: Stack, chat_id: int, words: dict[str, str]) -> None:
    """The founder writes it all to the bot (Rasa and the actions), in an update the adapter
    cannot parse, and to the staff desk in an open ticket."""
    message = (f"My startup {words['text']} needs a grant: call me on {words['phone']} or "
               f"write to {words['email']}; our bot is {words['token']}")
    stack.send(chat_id, message, first_name=words["name"])
    stack.replies(chat_id, timeout=60)
    broken = {"message": {"message_id": 5, "text": message,
                          "from": {"id": chat_id, "first_name": words["name"]}}}
    stack.fake_thread.run(stack.fake.send_update(broken))
    stack.ask(chat_id, "hello", timeout=30)  # answered after the broken update was handled
    stack.ask(chat_id, "/human", timeout=30)
    ticket = latest_ticket(stack, chat_id)
    wait_for(lambda: any(m.get("text", "").startswith(f"🎫 Ticket #{ticket} ")
                         for m in stack.fake.messages(STAFF_CHAT_ID)), what="ticket card")
    update = stack.send(chat_id, message, first_name=words["name"])  # into the ticket
    wait_for(lambda: status(stack, update["update_id"]) == "done", what="message handled")
    time.sleep(2 * float(stack.env["DESK_POLL_INTERVAL_S"]))  # the desk's outbox delivered


def status(stack: Stack, update_id: int) -> str | None:
    """The inbox status of an update (None: not received yet)."""
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        found = db.execute("select status from incoming_updates where update_id = ?",
                           (update_id,)).fetchone()
    return None if found is None else str(found[0])


def log_lines(stack: Stack) -> dict[str, list[str]]:
    """Each log file of the stack (the processes' stdout and stderr, and their logging)."""
    return {log.name: log.read_text(errors="replace").splitlines()
            for log in sorted((stack.tmp / "logs").glob("*.log"))}


def found(logs: dict[str, list[str]], needles: list[str]) -> list[str]:
    """``file: needle`` for every needle that some line of some file contains."""
    return sorted({f"{name}: {needle}" for name, lines in logs.items() for line in lines
                   for needle in needles if needle in line})


def deployment_secrets(stack: Stack) -> list[str]:
    """The stack's Rasa token and the adapter's bot token (whole, and its secret half)."""
    return [stack.env["RASA_TOKEN"], LOCAL_TOKEN, LOCAL_TOKEN.split(":")[1]]


def test_logs_hold_no_personal_data_and_no_secret(stack: Stack, chat_id: int) -> None:
    words = founder_words()
    talk(stack, chat_id, words)
    logs = log_lines(stack)
    assert set(PROCESS_LOGS) <= set(logs), sorted(logs)
    assert all(logs[name] for name in PROCESS_LOGS), "a process wrote no log lines"
    # The adapter did log the update it could not parse, without its contents.
    assert any("replaced by an empty one: <hidden>" in line
               for line in logs["telegram-adapter.log"])
    digits = "".join(c for c in words["phone"] if c.isdigit())
    needles = [*words.values(), digits, digits[3:], *deployment_secrets(stack)]
    assert not found(logs, needles)
    print(f"scanned {sum(map(len, logs.values()))} lines in {len(logs)} files")


@pytest.fixture(scope="module")
def debug_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack logging everything at DEBUG, personal data allowed (the debug flag)."""
    running = start_stack(tmp_path_factory.mktemp("debug-stack"),
                          {"LOG_LEVEL": "DEBUG", "EMERGEBOT_LOG_PERSONAL_DATA": "1"})
    try:
        yield running
    finally:
        stop_stack(running)


def test_debug_logs_show_what_was_written_but_never_a_secret(debug_stack: Stack) -> None:
    words = founder_words()
    talk(debug_stack, 20_001, words)
    logs = log_lines(debug_stack)
    # The scan sees message contents when they are logged: the clean scan above can fail.
    shown = found(logs, [words["text"], words["phone"], words["name"]])
    assert {s.split(": ")[1] for s in shown} == {words["text"], words["phone"], words["name"]}
    assert not found(logs, [words["token"], *deployment_secrets(debug_stack)])
    print(f"scanned {sum(map(len, logs.values()))} lines in {len(logs)} files")


def children_of(pids: set[int]) -> set[int]:
    """``pids`` and all their descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found_pids = set(pids)
    while True:
        more = {pid for pid, parent in parents.items() if parent in found_pids} - found_pids
        if not more:
            return found_pids
        found_pids |= more


def test_no_command_line_or_health_check_carries_the_token(stack: Stack) -> None:
    token = stack.env["RASA_TOKEN"]
    pids = children_of({c.process.pid for c in stack.children if c.process is not None})
    command_lines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids
                     if Path(f"/proc/{pid}/cmdline").exists()}
    assert len(command_lines) >= len(stack.children)
    assert any(b"nlu.server" in line for line in command_lines.values())
    assert not [pid for pid, line in command_lines.items() if token.encode() in line]
    assert not [c.name for c in stack.children if c.health_url and token in c.health_url]
    # Rasa enforces the token it read from its environment.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stack.settings.rasa_url}/status", timeout=10)  # noqa: S310
    assert refused.value.code == 401
    with urllib.request.urlopen(f"{stack.settings.rasa_url}/status?token={token}",  # noqa: S310
                                timeout=10) as response:
        assert response.status == 200
