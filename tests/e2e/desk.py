"""Helpers for the staff desk's end-to-end tests: staff act in the staff group and in their
private chats through the fake Bot API; the CLI registers them; the database is read back."""

from __future__ import annotations

import io
import os
import sqlite3
import time
from contextlib import redirect_stdout
from typing import Any

from emergebot.cli import main as cli
from tests.e2e.harness import STAFF_CHAT_ID, Stack, button_data, button_labels


def emergebot(stack: Stack, *args: str) -> str:
    """Run the maintainers' CLI against the stack's database; return what it printed."""
    saved = dict(os.environ)
    os.environ.update(stack.env)
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            assert cli(list(args)) == 0, args
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out.getvalue()


def add_staff(stack: Stack, user_id: int, name: str, languages: str) -> None:
    """Register a staff member, as a hub administrator would."""
    emergebot(stack, "staff", "add", str(user_id), "--name", name, "--languages", languages)


def say_in_group(stack: Stack, user_id: int, text: str) -> dict[str, Any]:
    """A staff member writes in the staff group."""
    return stack.fake_thread.run(stack.fake.send_text(
        STAFF_CHAT_ID, text, user_id=user_id, chat_type="supergroup", first_name=f"S{user_id}"))


def press(stack: Stack, chat_id: int, message: dict, label: str, user_id: int | None = None
          ) -> dict[str, Any]:
    """Press the button with this label (as ``user_id``: a staff member in the group).

    ``message`` may be an older state of the message: a second tap that arrives before the
    bot's edit (a double click) presses a button the message no longer shows.
    """
    labels = button_labels(message)
    assert label in labels, (label, labels)
    data = button_data(message)[labels.index(label)]
    shown = data in [b.get("callback_data") for b in
                     stack.fake.buttons(chat_id, message["message_id"])]
    return stack.fake_thread.run(stack.fake.click(chat_id, message["message_id"], data,
                                                  user_id=user_id, forge=not shown))


def answer_to(stack: Stack, update: dict[str, Any], timeout: float = 20.0) -> Any:
    """Wait for the bot's answerCallbackQuery to the pressed button."""
    query_id = update["callback_query"]["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for answer in list(stack.fake.callback_answers):
            if answer.callback_query_id == query_id:
                return answer
        time.sleep(0.1)
    raise TimeoutError(f"callback query {query_id} was not answered")


def card(stack: Stack, ticket: int) -> dict[str, Any]:
    """The ticket's card in the staff group, as it looks now."""
    for message in reversed(stack.fake.messages(STAFF_CHAT_ID)):
        if message.get("text", "").startswith(f"🎫 Ticket #{ticket} "):
            return message
    raise LookupError(f"no card for ticket {ticket}")


def row(stack: Stack, query: str, *args: Any) -> tuple[Any, ...]:
    """One row from the stack's database."""
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        found = db.execute(query, args).fetchone()
    assert found is not None, (query, args)
    return tuple(found)


def latest_ticket(stack: Stack, founder_id: int) -> int:
    """The founder's latest ticket number."""
    return int(row(stack, "select max(id) from tickets where founder_id = ?", founder_id)[0])


def wait_for(predicate: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"{what} not reached in {timeout} s")
