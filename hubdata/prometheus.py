"""Counters, gauges and histograms written in the Prometheus text exposition format (0.0.4).

Counting is a plain integer increment (a histogram adds a bisect over its buckets), cheap
enough for the adapter's hot path; the text is made only when ``/metrics`` is scraped.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


class Counter:
    """A monotonically increasing count, per label value."""

    def __init__(self, name: str, help_text: str, label: str | None = None) -> None:
        """``label`` names the one label this counter is split by (None: no label)."""
        self.name, self.help_text, self.label = name, help_text, label
        self.values: dict[str, int] = {}

    def inc(self, value: str = "", amount: int = 1) -> None:
        """Add ``amount`` to the count of the label value ``value``."""
        self.values[value] = self.values.get(value, 0) + amount

    def get(self, value: str = "") -> int:
        """The count of a label value (0 if never counted)."""
        return self.values.get(value, 0)

    def lines(self) -> list[str]:
        """The exposition of this counter."""
        out = _header(self.name, "counter", self.help_text)
        for value, count in sorted(self.values.items()):
            labels: Labels = ((self.label, value),) if self.label else ()
            out.append(f"{self.name}{_labels(labels)} {count}")
        if not self.values and not self.label:
            out.append(f"{self.name} 0")
        return out


class Histogram:
    """Observations counted into cumulative buckets, with their sum and count."""

    def __init__(self, name: str, help_text: str,
                 buckets: Sequence[float] = LATENCY_BUCKETS_S) -> None:
        """``buckets``: the upper bounds, ascending (+Inf is added)."""
        self.name, self.help_text = name, help_text
        self.bounds = tuple(buckets)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Count one observation."""
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self) -> list[str]:
        """The exposition of this histogram (cumulative buckets)."""
        out = _header(self.name, "histogram", self.help_text)
        running = 0
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            running += count
            le = "+Inf" if math.isinf(bound) else repr(float(bound))
            out.append(f'{self.name}_bucket{{le="{le}"}} {running}')
        out.append(f"{self.name}_sum {_number(self.sum)}")
        out.append(f"{self.name}_count {self.count}")
        return out


def gauge(name: str, help_text: str, values: Mapping[Labels, float]) -> list[str]:
    """The exposition of a gauge measured now: one sample per label set."""
    out = _header(name, "gauge", help_text)
    out += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in values.items()]
    return out


def render(blocks: Iterable[list[str]]) -> str:
    """The whole exposition: blocks of lines, ending with a newline."""
    return "".join(line + "\n" for block in blocks for line in block)


def parse(text: str) -> dict[tuple[str, Labels], float]:
    """Samples of an exposition, keyed by name and labels (for tests and health checks)."""
    samples: dict[tuple[str, Labels], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels: list[tuple[str, str]] = []
        rest = rest.rstrip("}")
        while rest:
            key, _, rest = rest.partition('="')
            chars, i = [], 0
            while rest[i] != '"':
                if rest[i] == "\\":
                    i += 1
                    chars.append({"n": "\n"}.get(rest[i], rest[i]))
                else:
                    chars.append(rest[i])
                i += 1
            labels.append((key.lstrip(","), "".join(chars)))
            rest = rest[i + 1:]
        samples[name, tuple(labels)] = float(value)
    return samples
