"""A progress bar of named steps with the elapsed time.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints one line per step.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    """Steps ``done`` out of ``total``, the current one named."""

    def __init__(self, title: str, total: int, stream: TextIO | None = None) -> None:
        self.title = title
        self.total = max(1, total)
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.tty = self.stream.isatty()
        self.label = ""

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.started

    def _line(self) -> str:
        filled = int(WIDTH * min(self.done, self.total) / self.total)
        minutes, seconds = divmod(int(self.elapsed), 60)
        return (f"{self.title} [{'#' * filled}{'-' * (WIDTH - filled)}] "
                f"{min(self.done, self.total)}/{self.total} {minutes:02d}:{seconds:02d} "
                f"{self.label}")

    def show(self, label: str) -> None:
        """Name the step in progress (without finishing the previous one)."""
        self.label = label
        self._draw()

    def step(self, label: str) -> None:
        """Finish a step and name the next."""
        self.done += 1
        self.total = max(self.total, self.done)
        self.show(label)

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self._line()[:160])
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        """Fill the bar and print a closing line."""
        self.done = self.total
        self.label = message
        self._draw()
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()
