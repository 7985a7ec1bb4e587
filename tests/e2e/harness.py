"""The whole stack for end-to-end tests: real Rasa, real action server, real adapter processes,
a real SQLite database, and the fake Telegram Bot API (in a thread of the test process)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from devtools.fake_telegram import FakeTelegram
from emergebot import modelfiles, supervisor
from emergebot.cli import main as cli
from hubdata.i18n import Catalogs
from hubdata.settings import PROJECT_ROOT, Settings

T = TypeVar("T")
PLACEHOLDER = re.compile(r"\\\{[a-z_]+\\\}")
STAFF_CHAT_ID = -100_424_242  # the stack's staff group: the desk posts new tickets there
# The staff desk in the tests: urgent tickets breach their first-reply target after 12 s, the
# SLA check runs every second, and the outbox is delivered twice a second.
DESK_ENV = {"STAFF_CHAT_ID": str(STAFF_CHAT_ID), "SLA_FIRST_RESPONSE_MIN": "urgent=0.2",
            "SLA_CHECK_INTERVAL_S": "1", "DESK_POLL_INTERVAL_S": "0.5"}


def free_port() -> int:
    """A TCP port nobody listens on right now, below the ephemeral range.

    Ports from the ephemeral range (what binding port 0 gives) can be picked as the source
    port of a health-check connection to that very port, which then connects to itself.
    """
    for _ in range(200):
        port = random.randint(20_000, 30_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class FakeInThread:
    """The fake Bot API running on its own event loop, driven synchronously from tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake: FakeTelegram = self.run(self._start())

    async def _start(self) -> FakeTelegram:
        fake = FakeTelegram(port=0)
        await fake.start()
        return fake

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on the fake's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the server and its loop."""
        self.run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex matching a rendered catalog text: literal parts exact, placeholders anything."""
    return re.compile(PLACEHOLDER.sub(".+?", re.escape(template)), re.S)


@dataclass
class Stack:
    """A running stack and helpers to talk to it as founders."""

    tmp: Path
    env: dict[str, str]
    settings: Settings
    fake_thread: FakeInThread
    children: list[supervisor.Child] = field(default_factory=list)
    catalogs: Catalogs = field(default_factory=Catalogs)

    @property
    def fake(self) -> FakeTelegram:
        """The fake Bot API."""
        return self.fake_thread.fake

    def child(self, name: str) -> supervisor.Child:
        """One of the processes, by name."""
        return next(c for c in self.children if c.name == name)

    def send(self, chat_id: int, text: str, language_code: str | None = "en",
             **kwargs: Any) -> dict[str, Any]:
        """A founder sends a text message."""
        return self.fake_thread.run(
            self.fake.send_text(chat_id, text, language_code=language_code, **kwargs))

    def replies(self, chat_id: int, count: int = 1, timeout: float = 30.0) -> list[dict]:
        """Wait for ``count`` new bot messages in the chat."""
        return self.fake_thread.run(self.fake.wait_for_messages(chat_id, count, timeout),
                                    timeout + 5)

    def ask(self, chat_id: int, text: str, language_code: str | None = "en",
            count: int = 1, timeout: float = 30.0) -> list[dict]:
        """Send a message and wait for the replies."""
        self.send(chat_id, text, language_code)
        return self.replies(chat_id, count, timeout)

    def click(self, chat_id: int, message: dict, index: int, forge_data: str | None = None
              ) -> dict:
        """Press button ``index`` (0-based, row by row) of a bot message."""
        if forge_data is not None:
            return self.fake_thread.run(
                self.fake.click(chat_id, message["message_id"], forge_data, forge=True))
        data = button_data(message)[index]
        return self.fake_thread.run(self.fake.click(chat_id, message["message_id"], data))

    def click_and_wait_edit(self, chat_id: int, message: dict, index: int,
                            timeout: float = 20.0) -> dict:
        """Press a button and wait until the bot edits that message; return its new state."""
        mark = self.fake.mark()
        self.click(chat_id, message, index)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.fake_thread.run(
                self.fake.events_after(mark, chat_id=chat_id, timeout=1.0))
            edits = [e for e in events if e.kind == "edit"
                     and e.message_id == message["message_id"]]
            if edits:
                return edits[-1].message
        raise TimeoutError(f"message {message['message_id']} was not edited")

    def text_of(self, lang: str, msgid: str) -> re.Pattern[str]:
        """The pattern of a message id's text in a language."""
        return template_pattern(self.catalogs.gettext(lang, msgid))

    def is_message(self, text: str, lang: str, msgid: str) -> bool:
        """Whether ``text`` starts with the rendering of ``msgid`` in ``lang``."""
        return self.text_of(lang, msgid).match(text) is not None

    def start_child(self, name: str) -> None:
        """(Re)start one process and wait until it is ready."""
        child = self.child(name)
        supervisor.start(child, self.env, self.tmp / "logs")
        supervisor.wait_ready([child])

    def stop_child(self, name: str) -> None:
        """Stop one process."""
        supervisor.stop([self.child(name)])


def button_data(message: dict) -> list[str]:
    """The callback data of a message's inline buttons, row by row."""
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
            if "callback_data" in b]


def button_labels(message: dict) -> list[str]:
    """The labels of a message's inline buttons, row by row."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def free_port_range(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(50):
        base = free_port()
        ports = []
        try:
            for offset in range(count):
                sock = socket.socket()
                ports.append(sock)
                sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for sock in ports:
                sock.close()
        return base
    raise RuntimeError(f"no {count} consecutive free ports")


def start_stack(tmp: Path, extra_env: dict[str, str] | None = None) -> Stack:
    """Seed a database and start the action server, Rasa and the adapter.

    ``extra_env`` overrides settings, e.g. the production layout (PostgreSQL, Redis, replicas,
    webhook mode).
    """
    model = modelfiles.current_model(PROJECT_ROOT / "models")
    if model is None:
        raise RuntimeError("no trained model: run `make model` (make test does)")
    fake_thread = FakeInThread()
    env = {
        **os.environ,
        "EMERGEBOT_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "RASA_TRACKER_DB": str(tmp / "tracker.db"),
        "RASA_PORT": str(free_port_range(3)),
        "ACTION_PORT": str(free_port_range(3)),
        "WEBHOOK_PORT": str(free_port_range(4)),
        "OPS_PORT": str(free_port_range(3)),  # the adapters' /health, /ready, /metrics
        "RASA_TOKEN": secrets.token_urlsafe(16),
        "TELEGRAM_API_URL": fake_thread.fake.base_url,
        "RETRY_INTERVAL_S": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("STAFF_CHAT_ID", None)
    env.update(DESK_ENV | {"CONSOLE_PORT": str(free_port())})
    env.update(extra_env or {})
    settings = Settings.from_env(env)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        assert cli(["db", "seed"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    stack = Stack(tmp=tmp, env=supervisor.stack_environment(settings, env["RASA_TOKEN"]) | env,
                  settings=settings, fake_thread=fake_thread)
    stack.children = supervisor.plan(settings, model, local_chat=False)
    started = time.monotonic()
    try:
        supervisor.start_all(stack.children, stack.env, tmp / "logs")
    except RuntimeError:
        stop_stack(stack)
        raise
    print(f"stack ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return stack


def stop_stack(stack: Stack) -> None:
    """Stop every process and the fake."""
    supervisor.stop(stack.children)
    stack.fake_thread.close()
