"""Swap the model of running Rasa servers one at a time, measuring the pause.

Rasa loads a model (``PUT /model``) synchronously: while it loads, that server answers nothing
and requests wait in its socket queue. Swapping one replica at a time keeps the others
answering. During each swap a prober thread per server keeps sending ``POST /model/parse`` and
times every answer, so the report shows how long the swapped server made requests wait and
that the others kept answering. Before anything changes every server must answer ``/status``;
if a swap fails, the servers already swapped are put back on the model they had.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROBE_TEXT = "hello"
STATUS_TIMEOUT_S = 5.0
LOAD_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 120.0
SETTLE_S = 0.3  # probing before and after each swap, for a baseline


class SwapError(Exception):
    """A server is down, refused the token, or failed to load the model."""


@dataclass(frozen=True)
class Server:
    """One Rasa server's HTTP API."""

    url: str
    token: str | None = field(default=None, repr=False)

    def endpoint(self, path: str) -> str:
        """The URL of an API path, with the token."""
        query = f"?{urllib.parse.urlencode({'token': self.token})}" if self.token else ""
        return f"{self.url.rstrip('/')}{path}{query}"


def _call(server: Server, method: str, path: str, body: dict[str, Any] | None,
          timeout: float) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.endpoint(path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def status(server: Server, timeout: float = STATUS_TIMEOUT_S) -> dict[str, Any]:
    """``GET /status``: the loaded model file.

    Raises:
        SwapError: the server does not answer, refuses the token or has no model.
    """
    try:
        code, body = _call(server, "GET", "/status", None, timeout)
    except (urllib.error.URLError, OSError) as error:
        raise SwapError(f"Rasa at {server.url} is not answering ({error})") from error
    if code in (401, 403):
        raise SwapError(f"Rasa at {server.url} refused the token (HTTP {code}): set RASA_TOKEN "
                        "to the token the bot runs with")
    if code != 200:
        raise SwapError(f"Rasa at {server.url} answered /status with HTTP {code}")
    return dict(json.loads(body))


def load(server: Server, model: Path) -> float:
    """``PUT /model`` and wait until the server runs ``model``; return the seconds it took.

    Raises:
        SwapError: the server failed to load the model (it keeps the one it had).
    """
    started = time.monotonic()
    try:
        code, body = _call(server, "PUT", "/model", {"model_file": str(model.resolve())},
                           LOAD_TIMEOUT_S)
    except (urllib.error.URLError, OSError) as error:
        raise SwapError(f"Rasa at {server.url} did not finish loading {model.name}: {error}"
                        ) from error
    if code != 204:
        raise SwapError(f"Rasa at {server.url} could not load {model.name} (HTTP {code}: "
                        f"{body[:300].decode(errors='replace')})")
    seconds = time.monotonic() - started
    # Requests queued during the load come first, and a new model's first parse is slow.
    running = status(server, LOAD_TIMEOUT_S).get("model_file")
    if running != model.name:
        raise SwapError(f"Rasa at {server.url} runs {running} after loading {model.name}")
    return seconds


@dataclass
class Probe:
    """One timed ``/model/parse`` request."""

    started: float
    seconds: float
    ok: bool


class Prober(threading.Thread):
    """Keeps sending parse requests to one server until stopped."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.probes: list[Probe] = []
        self.halt = threading.Event()

    def run(self) -> None:
        """Probe until stopped."""
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                code, _ = _call(self.server, "POST", "/model/parse", {"text": PROBE_TEXT},
                                PROBE_TIMEOUT_S)
                ok = code == 200
            except (urllib.error.URLError, OSError):
                ok = False
            self.probes.append(Probe(started, time.monotonic() - started, ok))
            if not ok:
                time.sleep(0.05)


@dataclass
class SwapReport:
    """What happened while one server loaded the model."""

    url: str
    load_seconds: float
    pause_seconds: float  # the longest a request to this server waited during the swap
    baseline_seconds: float  # its usual answer time just before
    probes: int
    failed: int
    others: dict[str, dict[str, float]]  # url -> probes, failed, longest wait

    def as_json(self) -> dict[str, Any]:
        """For the registry's history."""
        return {"url": self.url, "load_s": round(self.load_seconds, 3),
                "pause_s": round(self.pause_seconds, 3),
                "baseline_s": round(self.baseline_seconds, 4), "probes": self.probes,
                "failed": self.failed, "others": self.others}

    def __str__(self) -> str:
        others = "; ".join(f"{url} answered {int(o['probes'] - o['failed'])}/{int(o['probes'])}"
                           f" (longest {o['max_s']:.3f} s)" for url, o in self.others.items())
        usual = (f" (usually {self.baseline_seconds * 1000:.0f} ms)"
                 if self.baseline_seconds else "")
        # the figures as recorded (rounded to ms first), so that the two never disagree
        loaded, paused = round(self.load_seconds, 3), round(self.pause_seconds, 3)
        return (f"{self.url}: loaded in {loaded:.2f} s; requests waited up to "
                f"{paused:.2f} s{usual}; "
                f"{self.probes - self.failed}/{self.probes} answered"
                + (f"; {others}" if others else ""))


def swap_one(server: Server, model: Path, servers: list[Server]) -> SwapReport:
    """Load ``model`` into one server while timing requests to every server."""
    probers = {s.url: Prober(s) for s in servers}
    for prober in probers.values():
        prober.start()
    time.sleep(SETTLE_S)
    window_start = time.monotonic()
    try:
        load_seconds = load(server, model)
    finally:
        window_end = time.monotonic()
        time.sleep(SETTLE_S)
        for prober in probers.values():
            prober.halt.set()
        for prober in probers.values():
            prober.join(PROBE_TIMEOUT_S)
    own = probers[server.url].probes
    during = [p for p in own if p.started < window_end and p.started + p.seconds > window_start]
    before = sorted(p.seconds for p in own if p.started + p.seconds <= window_start and p.ok)
    others = {url: {"probes": len(p.probes), "failed": sum(not x.ok for x in p.probes),
                    "max_s": round(max((x.seconds for x in p.probes), default=0.0), 3)}
              for url, p in probers.items() if url != server.url}
    return SwapReport(server.url, load_seconds, max((p.seconds for p in during), default=0.0),
                      before[len(before) // 2] if before else 0.0, len(own),
                      sum(not p.ok for p in own), others)


def rolling_swap(servers: list[Server], model: Path, restore: Path | None,
                 say: Any = print) -> list[SwapReport]:
    """Swap every server to ``model``, one at a time.

    Every server must answer first; if one fails to load, those already swapped are put back
    on ``restore`` (the live model) and SwapError is raised.
    """
    for server in servers:
        status(server)
    reports: list[SwapReport] = []
    try:
        for server in servers:
            say(f"loading {model.name} into {server.url} ...")
            reports.append(swap_one(server, model, servers))
            say(f"  {reports[-1]}")
    except SwapError:
        if restore is not None:
            for touched in servers[: len(reports) + 1]:
                try:
                    if status(touched).get("model_file") != restore.name:
                        say(f"putting {touched.url} back on {restore.name}")
                        load(touched, restore)
                except SwapError as error:
                    say(f"  could not put {touched.url} back: {error}")
        raise
    return reports
