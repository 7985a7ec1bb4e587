"""Sampling profiles of the stack's processes with py-spy, and their summaries."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from hubdata.settings import PROJECT_ROOT

OUR_PACKAGES = ("bot", "actions", "nlu", "hubdata", "emergebot", "bench")


def py_spy() -> str | None:
    """The py-spy executable (next to this Python first), or None if it is not installed."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def package_of(path: str) -> str:
    """Where a frame's file belongs: a site-package, our package, or the standard library."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(PROJECT_ROOT) + "/"
    if path.startswith(root):
        top = path[len(root) :].split("/", 1)[0]
        return f"ours: {top}" if top in OUR_PACKAGES else top
    if "/lib/python3" in path:
        module = path.split("/lib/python3", 1)[1].split("/", 2)
        return "stdlib: " + (module[1].removesuffix(".py") if len(module) > 1 else "?")
    return path or "?"


def _short(frame: dict[str, Any]) -> str:
    path = str(frame.get("file", ""))
    root = str(PROJECT_ROOT) + "/"
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(root):
        path = path[len(root) :]
    elif "/lib/python3" in path:
        path = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    line = frame.get("line")
    return f"{frame.get('name', '?')} ({path}{':' + str(line) if line else ''})"


def thread_group(profile_name: str) -> str:
    """A thread's group from py-spy's profile name: ``Thread 12 "Thread-7 (worker)"`` -> worker."""
    quoted = profile_name.split('"')[1] if profile_name.count('"') >= 2 else ""
    if not quoted:
        return "unnamed"
    if "(" in quoted and quoted.endswith(")"):
        return quoted[quoted.index("(") + 1 : -1]
    return quoted


# Frames that are on every stack of a thread and say nothing about where time goes.
_SCAFFOLDING = ("stdlib: threading", "stdlib: asyncio", "stdlib: runpy", "stdlib: selectors")


class _Tally:
    def __init__(self) -> None:
        self.samples = 0
        self.seconds = 0.0
        self.self_count: Counter[int] = Counter()
        self.packages: Counter[str] = Counter()
        self.inclusive: Counter[int] = Counter()

    def add(self, stack: list[int], weight: float, frames: list[dict[str, Any]]) -> None:
        self.samples += 1
        self.seconds += weight
        self.self_count[stack[-1]] += 1
        self.packages[package_of(str(frames[stack[-1]].get("file", "")))] += 1
        for index in set(stack):
            self.inclusive[index] += 1

    def summary(self, frames: list[dict[str, Any]], top: int) -> dict[str, Any]:
        def share(count: int) -> float:
            return round(100.0 * count / self.samples, 1) if self.samples else 0.0

        useful = [
            (i, c)
            for i, c in self.inclusive.most_common()
            if not package_of(str(frames[i].get("file", ""))).startswith(_SCAFFOLDING)
            and frames[i].get("name") != "<module>"
            and c < 0.9 * self.samples
        ]
        return {
            "samples": self.samples,
            "seconds": round(self.seconds, 2),
            "by_package": [
                {"package": name, "percent": share(count)}
                for name, count in self.packages.most_common(top)
            ],
            "self": [
                {"frame": _short(frames[i]), "percent": share(c)}
                for i, c in self.self_count.most_common(top)
            ],
            "inclusive": [
                {"frame": _short(frames[i]), "percent": share(c)} for i, c in useful[:top]
            ],
            "ours": [
                {"frame": _short(frames[i]), "percent": share(c)}
                for i, c in useful
                if package_of(str(frames[i].get("file", ""))).startswith("ours: ")
                and frames[i].get("name") != "main"
            ][:top],
        }


def summarise_speedscope(data: dict[str, Any], duration_s: float, top: int = 10) -> dict[str, Any]:
    """Summarise a py-spy speedscope profile: the main thread, then all threads together.

    py-spy records only threads that are not idle; a thread blocked in a C call (a lock, a
    disk sync) still counts, so ``busy_core_share`` of all threads can exceed one core.

    Args:
        data: The parsed speedscope JSON (``shared.frames``, one sampled profile per thread;
            each sample is a stack of frame indices from the root, weighted in seconds).
        duration_s: How long the recording ran.
        top: How many entries each list keeps.

    Returns:
        ``threads`` (count per thread group), ``main`` and ``all``: samples, seconds,
        ``busy_core_share``, ``by_package`` (innermost frame's package), ``self`` (innermost
        frames) and ``inclusive`` (frames anywhere on the stack, scaffolding left out).
    """
    frames = data.get("shared", {}).get("frames", [])
    main, everything = _Tally(), _Tally()
    groups: Counter[str] = Counter()
    for profile in data.get("profiles", []):
        group = thread_group(str(profile.get("name", "")))
        groups[group] += 1
        samples = profile.get("samples", [])
        weights = profile.get("weights") or [0.0] * len(samples)
        for stack, weight in zip(samples, weights, strict=False):
            if not stack:
                continue
            everything.add(stack, float(weight), frames)
            if group == "MainThread":
                main.add(stack, float(weight), frames)
    out: dict[str, Any] = {"threads": dict(groups.most_common(top))}
    for key, tally in (("main", main), ("all", everything)):
        out[key] = tally.summary(frames, top)
        out[key]["busy_core_share"] = round(tally.seconds / duration_s, 2) if duration_s else 0.0
    return out


async def record(
    targets: dict[str, int], duration_s: float, out_dir: Path, rate_hz: int = 100
) -> dict[str, Any]:
    """Record every target with py-spy at once for ``duration_s``; summarise each profile.

    Args:
        targets: Process name to pid.
        duration_s: Seconds to record.
        out_dir: Where the speedscope files go (open them at speedscope.app).
        rate_hz: Samples per second.

    Returns:
        Per process: the summary (see ``summarise_speedscope``) and the file; or an
        ``error`` when py-spy is missing or cannot attach.
    """
    tool = py_spy()
    if tool is None:
        return {name: {"error": "py-spy is not installed"} for name in targets}
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)

    async def one(name: str, pid: int) -> tuple[str, dict[str, Any]]:
        out = out_dir / f"profile-{name.replace(' ', '-')}.speedscope.json"
        process = await asyncio.create_subprocess_exec(
            tool,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(duration_s)),
            "--rate",
            str(rate_hz),
            "--format",
            "speedscope",
            "--output",
            str(out),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        if process.returncode != 0 or not out.exists():
            return name, {"error": output.decode(errors="replace")[-400:].strip()}
        data = json.loads(out.read_text(encoding="utf-8"))
        return name, {**summarise_speedscope(data, duration_s), "file": str(out)}

    results = await asyncio.gather(*(one(name, pid) for name, pid in targets.items()))
    return dict(results)
