"""Stack layouts for the benchmark, and starting and stopping them without blocking the loop.

A layout function returns the processes to start for one model and one Bot API URL. Only the
embedded layout (one action server, one Rasa server, one polling adapter, SQLite) exists today;
a production layout (PostgreSQL, Redis lock store, replicas, webhook adapters) plugs in by
adding a function to ``LAYOUTS`` that returns more children, setup commands (migrations) and
several Rasa URLs.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import against
from emergebot import supervisor
from hubdata.settings import PROJECT_ROOT, Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StackLayout:
    """What to run for one benchmarked system.

    Attributes:
        name: The layout's name (``embedded``).
        children: The processes, started together.
        env: The environment of every child and setup command.
        setup: Commands run to completion before the children start (seeding, migrations).
        rasa_urls: Base URLs of the Rasa servers (for ``/model/parse``).
        token: Rasa's HTTP API token.
        log_dir: Where the children's logs go.
    """

    name: str
    children: list[supervisor.Child]
    env: dict[str, str]
    setup: list[list[str]]
    rasa_urls: list[str]
    token: str
    log_dir: Path
    ready_s: dict[str, float] = field(default_factory=dict)
    source: Path | None = None  # another revision's worktree (``--against``): run its code

    @property
    def cwd(self) -> Path:
        """The working directory of every child and setup command."""
        return self.source or PROJECT_ROOT

    def pids(self) -> dict[str, int]:
        """Name to pid of every running child."""
        return {c.name: c.process.pid for c in self.children if c.process is not None}


def embedded_layout(
    tmp: Path,
    model: Path,
    telegram_api_url: str,
    overrides: dict[str, str] | None = None,
    source: Path | None = None,
) -> StackLayout:
    """The embedded default: action server, Rasa and a polling adapter on a temporary SQLite.

    Args:
        tmp: A fresh directory for the databases and logs.
        model: The Rasa model to serve.
        telegram_api_url: The Bot API base URL (the fake's ``base_url``).
        overrides: Environment values set last (e.g. ``RATE_GLOBAL_PER_S``).
        source: A worktree of another revision (``--against``): the children are that
            revision's plan, each ``python -m`` in the worktree with it as ``PYTHONPATH``
            (see ``bench.against``), checked to resolve there.

    Returns:
        The layout, not started.
    """
    token = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "EMERGEBOT_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
        "RASA_TRACKER_DB": str(tmp / "tracker.db"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "RASA_TOKEN": token,
        "TELEGRAM_API_URL": telegram_api_url,
        "RETRY_INTERVAL_S": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("STAFF_CHAT_ID", None)
    env.update(overrides or {})
    if source is not None:
        return _layout_at(source, tmp, model, env, token)
    settings = Settings.from_env(env)
    emergebot = str(Path(sys.executable).with_name("emergebot"))
    return StackLayout(
        name="embedded",
        children=supervisor.plan(settings, model, local_chat=False),
        env=supervisor.stack_environment(settings, token) | env,
        setup=[[emergebot, "db", "seed"]],
        rasa_urls=[settings.rasa_url],
        token=token,
        log_dir=tmp / "logs",
    )


def _layout_at(
    source: Path, tmp: Path, model: Path, env: dict[str, str], token: str
) -> StackLayout:
    """The embedded layout of the revision checked out at ``source`` (its own plan)."""
    env = against.tree_env(source, env)
    planned = against.plan_at(source, env, model)
    children = [supervisor.Child(**child) for child in planned["children"]]
    setup = [[sys.executable, "-m", "emergebot", "db", "seed"]]
    against.check_modules(source, env, [c.command for c in children] + setup)
    return StackLayout(
        name="embedded",
        children=children,
        env=against.tree_env(source, planned["env"] | env),
        setup=setup,
        rasa_urls=planned["rasa_urls"],
        token=token,
        log_dir=tmp / "logs",
        source=source,
    )


Layout = Callable[..., StackLayout]
LAYOUTS: dict[str, Layout] = {"embedded": embedded_layout}


def run_setup(layout: StackLayout) -> None:
    """Run the layout's setup commands (before the clock starts)."""
    layout.log_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.log_dir / "setup.log", "ab") as log:
        for command in layout.setup:
            subprocess.run(
                command,
                cwd=layout.cwd,
                env=layout.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )


async def _healthy(session: aiohttp.ClientSession, child: supervisor.Child) -> bool:
    if child.health_url is None:
        return True
    try:
        async with session.get(
            child.health_url, headers=child.headers, timeout=aiohttp.ClientTimeout(total=2)
        ) as response:
            return 200 <= response.status < 300
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return False


def spawn(layout: StackLayout) -> float:
    """Start every child at once; return the ``time.monotonic()`` of the start."""
    started = time.monotonic()
    for child in layout.children:
        if layout.source is None:
            supervisor.start(child, layout.env, layout.log_dir)
        else:
            _start_at(child, layout.env, layout.log_dir, layout.source)
    return started


def _start_at(child: supervisor.Child, env: dict[str, str], log_dir: Path, cwd: Path) -> None:
    """``supervisor.start`` in another directory (it always uses this checkout's)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    child.log = log_dir / (child.name.replace(" ", "-") + ".log")
    handle = open(child.log, "ab")  # noqa: SIM115 - owned by the child for its life
    child.process = subprocess.Popen(child.command, cwd=cwd, env=env, stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)


async def wait_ready(layout: StackLayout, started: float, timeout_s: float = 300.0) -> None:
    """Wait until each child answers its health check, polling every 0.1 s.

    ``layout.ready_s`` gets each child's seconds from ``started`` to ready (children without a
    health check count as ready at once).

    Raises:
        RuntimeError: A child exited or was not ready in time.
    """
    pending = list(layout.children)
    async with aiohttp.ClientSession() as session:
        while pending:
            for child in list(pending):
                assert child.process is not None
                if child.process.poll() is not None:
                    raise RuntimeError(
                        f"{child.name} exited with {child.process.returncode}; see {child.log}"
                    )
                if await _healthy(session, child):
                    layout.ready_s[child.name] = round(time.monotonic() - started, 2)
                    pending.remove(child)
            if time.monotonic() - started > timeout_s:
                raise RuntimeError("not ready in time: " + ", ".join(c.name for c in pending))
            if pending:
                await asyncio.sleep(0.1)


async def stop(layout: StackLayout) -> None:
    """Stop every child (in a thread: stopping waits for the processes)."""
    await asyncio.to_thread(supervisor.stop, layout.children)
