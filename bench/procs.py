"""Memory and CPU of the stack's processes, read from /proc (Linux)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

PROC = Path("/proc")
MB = 1024 * 1024
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """``pid`` and every process below it (children of all its threads, recursively)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.append(current)
        for children in (proc / str(current) / "task").glob("*/children"):
            try:
                pending += [int(c) for c in children.read_text().split()]
            except OSError:
                continue
    return found


def memory_kb(pid: int, proc: Path = PROC) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB: resident now and the peak resident so far."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in (proc / str(pid) / "status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """User plus system CPU time a process has used, in seconds (0 if it is gone)."""
    try:
        fields = (proc / str(pid) / "stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


class ProcessSampler:
    """Samples the resident memory of named process trees, keeping peaks.

    Args:
        processes: Name to root pid, e.g. ``{"rasa server": 1234}``.
        interval_s: Time between samples.
    """

    def __init__(self, processes: dict[str, int], interval_s: float = 0.5) -> None:
        self.processes = dict(processes)
        self.interval_s = interval_s
        self.peak_kb: dict[str, int] = dict.fromkeys(processes, 0)
        self.peak_sum_kb = 0
        self.samples = 0
        self._hwm_kb: dict[tuple[str, int], int] = {}

    def sample(self) -> int:
        """Take one sample; return the summed resident memory in kB."""
        total = 0
        for name, root in self.processes.items():
            rss = 0
            for pid in descendants(root):
                now, peak = memory_kb(pid)
                rss += now
                key = (name, pid)
                self._hwm_kb[key] = max(self._hwm_kb.get(key, 0), peak)
            self.peak_kb[name] = max(self.peak_kb[name], rss)
            total += rss
        self.peak_sum_kb = max(self.peak_sum_kb, total)
        self.samples += 1
        return total

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process tree."""
        return {
            name: sum(cpu_seconds(p) for p in descendants(root))
            for name, root in self.processes.items()
        }

    def report(self) -> dict[str, Any]:
        """Peaks in MB: sampled resident memory and the kernel's high-water mark (VmHWM)."""
        hwm: dict[str, int] = dict.fromkeys(self.processes, 0)
        for (name, _pid), value in self._hwm_kb.items():
            hwm[name] += value
        return {
            "processes": {
                name: {
                    "peak_rss_mb": round(self.peak_kb[name] / 1024, 1),
                    "hwm_mb": round(hwm[name] / 1024, 1),
                }
                for name in self.processes
            },
            "sum_peak_rss_mb": round(self.peak_sum_kb / 1024, 1),
            "sum_hwm_mb": round(sum(hwm.values()) / 1024, 1),
            "samples": self.samples,
            "interval_s": self.interval_s,
        }


def cpu_per_message(
    before: dict[str, float], after: dict[str, float], messages: int
) -> dict[str, float]:
    """CPU milliseconds per message of each process between two ``ProcessSampler.cpu()``."""
    if messages <= 0:
        return {}
    return {
        name: round((after.get(name, 0.0) - before.get(name, 0.0)) * 1000.0 / messages, 2)
        for name in after
    }
