"""Latency statistics: percentiles and summaries of samples (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile of ``samples`` by linear interpolation between closest ranks.

    Args:
        samples: Values in any order.
        q: The percentile, 0 to 100.

    Returns:
        The percentile, or None when there are no samples.

    Raises:
        ValueError: ``q`` is outside 0..100.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not samples:
        return None
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(samples_s: Sequence[float]) -> dict[str, float | int | None]:
    """Count, mean, p50, p95, p99 and max of latencies given in seconds, reported in ms."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000.0, 1)

    count = len(samples_s)
    return {
        "count": count,
        "mean_ms": ms(sum(samples_s) / count) if count else None,
        "p50_ms": ms(percentile(samples_s, 50)),
        "p95_ms": ms(percentile(samples_s, 95)),
        "p99_ms": ms(percentile(samples_s, 99)),
        "max_ms": ms(max(samples_s)) if count else None,
    }


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """``ours / theirs`` rounded to 2 places, or None when either is missing or theirs is 0."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 2)
