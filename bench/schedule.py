"""Open-loop rate control: when messages are due, whatever the bot is doing (pure functions).

An open-loop load does not wait for answers before sending more, so a slow bot meets the same
offered load as a fast one and its queueing shows in the latencies (a closed loop would hide it
by slowing the senders down).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

POISSON = "poisson"
UNIFORM = "uniform"
ARRIVALS = (POISSON, UNIFORM)


def arrival_offsets(
    rate: float, duration_s: float, kind: str = POISSON, seed: int = 0
) -> Iterator[float]:
    """Seconds after the start of a step at which messages are due.

    Args:
        rate: Mean messages per second (> 0).
        duration_s: Length of the step; no offset reaches it.
        kind: ``poisson`` (independent founders: exponential gaps) or ``uniform`` (fixed gaps).
        seed: Seed of the gaps, so two runs offer the same load.

    Yields:
        Increasing offsets in ``[0, duration_s)``.

    Raises:
        ValueError: A non-positive rate or an unknown kind.
    """
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    if kind not in ARRIVALS:
        raise ValueError(f"arrivals must be one of {ARRIVALS}, got {kind!r}")
    rng = random.Random(seed)
    offset = 0.0 if kind == UNIFORM else rng.expovariate(rate)
    while offset < duration_s:
        yield offset
        offset += 1.0 / rate if kind == UNIFORM else rng.expovariate(rate)


def think_time(
    rng: random.Random, minimum_s: float = 1.0, mean_extra_s: float = 1.5, maximum_s: float = 8.0
) -> float:
    """How long a founder reads and types before the next message: at least ``minimum_s``."""
    return min(maximum_s, minimum_s + rng.expovariate(1.0 / mean_extra_s))


def next_ladder_rate(
    history: list[tuple[float, bool]], up: tuple[float, ...], down: tuple[float, ...] = ()
) -> float | None:
    """The next rate of the load ladder, or None when the ladder is done.

    The first rung is ``up[0]``. While rungs pass, the rate climbs through ``up``; the first
    failure ends the climb. If the very first rung fails, the rate descends through ``down``
    until a rung passes, so a slow system still gets its highest passing rate.

    Args:
        history: (rate, passed) of the rungs run so far, in order.
        up: Rates to climb, ascending, starting with the first rung.
        down: Rates to try below ``up[0]``, descending.
    """
    if not history:
        return up[0] if up else None
    rate, passed = history[-1]
    climbing = history[0][1]
    if climbing:
        if not passed:
            return None
        higher = [r for r in up if r > rate]
        return higher[0] if higher else None
    if passed:
        return None
    lower = [r for r in down if r < rate]
    return lower[0] if lower else None
