"""``emergebot run``: start the action server, Rasa and the adapter; stop them all on Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from emergebot import rasa_endpoints
from emergebot.probes import replica_name
from hubdata import logs
from hubdata.settings import PROJECT_ROOT, Settings

READY_TIMEOUT_S = 180.0


@dataclass
class Child:
    """One process of the stack."""

    name: str
    command: list[str]
    health_url: str | None
    listening: str
    process: subprocess.Popen | None = None
    log: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _healthy(child: Child) -> bool:
    if child.health_url is None:
        return True
    request = urllib.request.Request(child.health_url, headers=child.headers)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - localhost
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def stack_environment(settings: Settings, token: str) -> dict[str, str]:
    """Environment shared by every child process."""
    return {
        **os.environ,
        "RASA_TOKEN": token,
        "RASA_TRACKER_DB": settings.tracker_store_db,
        "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SANIC_HOST": settings.action_host,
        "RASA_TELEMETRY_ENABLED": "false",
        # A conversation lock left in Redis by a replica that died expires after this: the
        # other replicas wait at most this long for that conversation (Rasa's default is 60 s).
        "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "10"),
    }


def plan(settings: Settings, model: Path, local_chat: bool) -> list[Child]:
    """The processes to start, in order: action servers, Rasa servers, (fake API), adapters.

    No command line carries a secret (anyone on the machine can read them): the processes read
    theirs from the environment of :func:`stack_environment`.
    """
    python = sys.executable
    endpoints_dir = settings.var_dir / "run"
    children = [
        Child(replica_name("action server", i, settings.action_replicas),
              [python, "-m", "actions.server", "--port", str(settings.action_port + i)],
              f"http://{settings.action_host}:{settings.action_port + i}/health",
              f"http://{settings.action_host}:{settings.action_port + i}/webhook")
        for i in range(settings.action_replicas)
    ]
    for i, url in enumerate(settings.rasa_urls):
        endpoints = rasa_endpoints.write(settings, i, endpoints_dir)
        # `rasa run` through nlu/server.py, which takes the token from RASA_TOKEN (see
        # stack_environment): no command line and no health-check URL carries it.
        children.append(Child(
            replica_name("rasa server", i, settings.rasa_replicas),
            [python, "-m", "nlu.server", "--model", str(model),
             "--endpoints", str(endpoints),
             "--credentials", str(PROJECT_ROOT / "nlu" / "credentials.yml"),
             "--enable-api",
             "--interface", settings.rasa_host, "--port", str(settings.rasa_port + i)],
            f"{url}/version",  # needs no token; nlu/server.py exits if the model did not load
            f"{url} (HTTP API and channel need the token)"))
    if local_chat:
        children.append(
            Child("fake Telegram Bot API", [python, "-m", "devtools.fake_telegram", "--port",
                                             str(settings.fake_telegram_port)],
                  f"http://127.0.0.1:{settings.fake_telegram_port}/_control/state",
                  f"http://127.0.0.1:{settings.fake_telegram_port}/bot<token>"))
    api_url = (f"http://127.0.0.1:{settings.fake_telegram_port}/bot" if local_chat
               else settings.telegram_api_url)
    children.append(Child("staff console", [python, "-m", "console"],
                          f"{settings.console_url}health",
                          f"{settings.console_url} (sign in with `emergebot staff token ID`)"))
    webhook = settings.telegram_mode == "webhook"
    if webhook and settings.webhook_url is None:
        # No TLS proxy in front (a local run): a small balancer stands in for it.
        ports = ",".join(str(settings.webhook_port + 1 + i)
                         for i in range(settings.adapter_replicas))
        children.append(Child(
            "webhook balancer",
            [python, "-m", "emergebot.balancer", "--port", str(settings.webhook_port),
             "--backends", ports],
            f"http://{settings.webhook_host}:{settings.webhook_port}/health",
            f"http://{settings.webhook_host}:{settings.webhook_port}/telegram"))
    for i in range(settings.adapter_replicas):
        name = replica_name("telegram adapter", i, settings.adapter_replicas)
        if webhook:
            port = settings.webhook_port + 1 + i
            children.append(Child(name, [python, "-m", "bot", "--replica", str(i)],
                                  f"http://{settings.webhook_host}:{port}/health",
                                  f"http://{settings.webhook_host}:{port}/telegram (webhook)"))
        else:
            children.append(Child(name, [python, "-m", "bot", "--replica", str(i)], None,
                                  f"Telegram by polling {api_url}<token>"))
    return children


def rotate_log(path: Path, day: str) -> Path | None:
    """Move a log's lines to ``<name>-<day>.log`` and start it empty. The child keeps its
    handle, opened for appending, so it goes on writing at the (new) end. Days past
    ``RETENTION_LOGS_DAYS`` are deleted by the retention job. Returns the day's file, or None
    if the log was empty."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    dated = path.with_name(f"{path.stem}-{day}.log")
    with open(path, "rb") as source, open(dated, "ab") as target:
        target.write(source.read())
    os.truncate(path, 0)
    return dated


def _today() -> str:
    return time.strftime("%Y-%m-%d")


def start(child: Child, env: dict[str, str], log_dir: Path) -> None:
    """Start one child with its output in a log file (earlier days rotated out first)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    child.log = log_dir / (child.name.replace(" ", "-") + ".log")
    if child.log.exists():  # lines of an earlier day (a run that ended) move out first
        last = time.strftime("%Y-%m-%d", time.localtime(child.log.stat().st_mtime))
        if last < _today():
            rotate_log(child.log, last)
    handle = open(child.log, "ab")  # noqa: SIM115 - owned by the child for its life
    child.process = subprocess.Popen(child.command, cwd=PROJECT_ROOT, env=env, stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(children: list[Child], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Wait until every child answers its health check; raise if one dies or times out."""
    deadline = time.monotonic() + timeout_s
    pending = list(children)
    while pending:
        for child in list(pending):
            assert child.process is not None
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}; "
                                   f"see {child.log}")
            if _healthy(child):
                verb = "uses" if child.health_url is None else "listening on"
                print(f"{child.name} {verb} {child.listening}", flush=True)
                pending.remove(child)
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout_s:.0f} s: "
                               + ", ".join(c.name for c in pending))
        if pending:
            time.sleep(0.5)


def is_adapter(child: Child) -> bool:
    """Whether a child is a Telegram adapter replica (started last, once the rest is ready)."""
    return child.name.startswith("telegram adapter")


def start_all(children: list[Child], env: dict[str, str], log_dir: Path) -> None:
    """Start the back end, wait until it answers, then start the adapters and wait for them."""
    backend = [c for c in children if not is_adapter(c)]
    adapters = [c for c in children if is_adapter(c)]
    for child in backend:
        start(child, env, log_dir)
    wait_ready(backend)
    for child in adapters:
        start(child, env, log_dir)
    time.sleep(1.0)
    wait_ready(adapters)


def stop(children: list[Child]) -> None:
    """Stop children in reverse order: SIGTERM, then SIGKILL after a grace period."""
    for child in reversed(children):
        if child.process is not None and child.process.poll() is None:
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in reversed(children):
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
        print(f"{child.name} stopped", flush=True)


def run(settings: Settings) -> int:
    """Run the whole stack until Ctrl-C (or until the terminal chat ends)."""
    from emergebot.registry import serving_model

    model = serving_model(settings.model_dir)  # the live model of models/registry.json
    if model is None:
        print("no trained model: run `make model` first", file=sys.stderr)
        return 1
    token = settings.rasa_token or secrets.token_urlsafe(24)
    logs.install(settings, secrets=[token])  # this process's own lines (hubdata/logs.py)
    local_chat = settings.telegram_bot_token is None
    env = stack_environment(settings, token)
    if local_chat:
        env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{settings.fake_telegram_port}/bot"
    children = plan(settings, model, local_chat)
    log_dir = settings.var_dir / "logs"
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        started = time.monotonic()
        start_all(children, env, log_dir)
        print(f"ready in {time.monotonic() - started:.1f} s; logs in {log_dir}", flush=True)
        if local_chat:
            chat = subprocess.run([sys.executable, "-m", "devtools.terminal_chat", "--api",
                                   f"http://127.0.0.1:{settings.fake_telegram_port}"],
                                  cwd=PROJECT_ROOT, env=env, check=False)
            return chat.returncode
        day = _today()
        while all(c.process is not None and c.process.poll() is None for c in children):
            time.sleep(1.0)
            if _today() != day:  # past midnight: the day that ended moves out of each log
                for child in children:
                    if child.log is not None:
                        rotate_log(child.log, day)
                day = _today()
        dead = [c.name for c in children if c.process is not None and c.process.poll() is not None]
        print(f"stopped because {', '.join(dead)} exited; see {log_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        stop(children)
