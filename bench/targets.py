"""The targets of issue 5 (part 4), judged on measured figures, with the measured cause of a miss.

Every function here is pure: it reads the result dictionaries built by ``bench.runner``.
"""

from __future__ import annotations

from typing import Any

from bench.stats import ratio

TARGET_RATE = 30.0  # Telegram's own per-bot ceiling, messages per second
P99_AT_TARGET_MS = 150.0
P99_LIMIT_MS = 500.0
MIN_RATE_UNDER_LIMIT = 60.0
READY_S = 20.0
MEMORY_MB = 1.5e9 / 1024 / 1024  # 1.5 GB, in MiB as /proc reports them
TRAINING_S = 300.0


def step_passes(summary: dict[str, Any], p99_limit_ms: float = P99_LIMIT_MS) -> bool:
    """Whether a load step kept p99 under the limit with no error and every message answered."""
    p99 = summary["latency"]["p99_ms"]
    return (
        p99 is not None
        and p99 < p99_limit_ms
        and summary["errors"] == 0
        and summary["answered"] == summary["sent"] > 0
    )


def highest_passing_rate(
    steps: list[dict[str, Any]], p99_limit_ms: float = P99_LIMIT_MS
) -> float | None:
    """The highest target rate among ladder steps that passed (see ``step_passes``)."""
    rates = [s["target_rate"] for s in steps if s.get("ladder") and step_passes(s, p99_limit_ms)]
    return max(rates) if rates else None


def _cpu_cause(system: dict[str, Any]) -> str:
    step = system.get("target_step") or {}
    cpu = step.get("cpu_ms_per_message") or {}
    if not cpu:
        return "no CPU figures were recorded"
    parts = ", ".join(
        f"{name} {ms:.1f} ms" for name, ms in sorted(cpu.items(), key=lambda item: -item[1])
    )
    total = sum(cpu.values())
    text = (
        f"CPU per message at {TARGET_RATE:.0f} msg/s: {parts} (total {total:.1f} ms; "
        f"2 cores give a CPU-bound ceiling near {2000.0 / total:.0f} msg/s)"
        if total
        else ""
    )
    return text + _profile_cause(system.get("profile") or {})


def _profile_cause(profiles: dict[str, Any]) -> str:
    """What each profiled process's main thread did, busiest first; blocked threads noted."""
    parts, errors = [], []
    ranked = sorted(
        profiles.items(), key=lambda item: -((item[1].get("main") or {}).get("busy_core_share", 0))
    )
    for name, profile in ranked:
        if profile.get("error"):
            errors.append(f"the profile of the {name} failed: {profile['error'][:120]}")
            continue
        main, every = profile.get("main") or {}, profile.get("all") or {}
        if not main.get("samples"):
            continue
        packages = ", ".join(f"{p['package']} {p['percent']}%" for p in main["by_package"][:3])
        ours = "; ".join(f"{f['frame']} {f['percent']}%" for f in main.get("ours", [])[:2])
        text = f"{name} {main['busy_core_share']:.0%} ({packages}" + (
            f"; in our code {ours})" if ours else ")"
        )
        blocked = every.get("busy_core_share", 0) - main["busy_core_share"]
        if blocked > 1 and every.get("by_package"):
            top = every["by_package"][0]
            text += (
                f", plus {blocked:.1f} other threads not idle on average "
                f"({top['package']} {top['percent']}% of all samples)"
            )
        parts.append(text)
    out = ""
    if parts:
        out += f". Main threads busy at {TARGET_RATE:.0f} msg/s (py-spy): " + "; ".join(parts)
    if errors:
        out += ". " + "; ".join(errors)
    return out


def _target(
    key: str, text: str, measured: Any, baseline: Any, met: bool | None, cause: str = ""
) -> dict[str, Any]:
    return {
        "id": key,
        "target": text,
        "measured": measured,
        "baseline": baseline,
        "met": met,
        "cause": "" if met else cause,
    }


def evaluate(ours: dict[str, Any], baseline: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Judge each target of issue 5, part 4 on our figures (baseline figures beside them).

    Args:
        ours: Our system's results (see ``bench.runner``).
        baseline: The default-config system's results, or None when it was skipped.

    Returns:
        One record per target: ``met`` is None when the figure was not measured.
    """
    base = baseline or {}
    targets = []

    def p99(system: dict[str, Any]) -> float | None:
        return ((system.get("target_step") or {}).get("latency") or {}).get("p99_ms")

    value = p99(ours)
    targets.append(
        _target(
            "p99_at_30",
            f"p99 under {P99_AT_TARGET_MS:.0f} ms at {TARGET_RATE:.0f} msg/s",
            value,
            p99(base),
            None if value is None else value < P99_AT_TARGET_MS,
            _cpu_cause(ours),
        )
    )
    rate = ours.get("max_rate_under_limit")
    targets.append(
        _target(
            "rate_p99_under_500",
            f"highest rate with p99 under {P99_LIMIT_MS:.0f} ms at least "
            f"{MIN_RATE_UNDER_LIMIT:.0f} msg/s",
            rate,
            base.get("max_rate_under_limit"),
            None if not ours.get("steps") else (rate or 0) >= MIN_RATE_UNDER_LIMIT,
            _cpu_cause(ours),
        )
    )
    first = (ours.get("startup") or {}).get("first_answer_s")
    ready = (ours.get("startup") or {}).get("ready_s") or {}
    nlu = ours.get("nlu") or {}
    targets.append(
        _target(
            "ready_20s",
            f"ready to answer within {READY_S:.0f} s of start",
            first,
            (base.get("startup") or {}).get("first_answer_s"),
            None if first is None else first <= READY_S,
            "ready after: "
            + ", ".join(f"{k} {v} s" for k, v in ready.items())
            + (
                f"; in-process, importing Rasa takes {nlu.get('import_s')} s and loading the model "
                f"{nlu.get('load_s')} s"
                if nlu
                else ""
            ),
        )
    )
    memory = (ours.get("memory") or {}).get("sum_hwm_mb")
    per_process = ((ours.get("memory") or {}).get("processes") or {}).items()
    targets.append(
        _target(
            "memory_1_5gb",
            "every process of the embedded stack together under 1.5 GB "
            f"({MEMORY_MB:.0f} MiB; judged on the sum of each process's peak)",
            memory,
            (base.get("memory") or {}).get("sum_hwm_mb"),
            None if memory is None else memory < MEMORY_MB,
            "peak per process: " + ", ".join(f"{k} {v['hwm_mb']} MiB" for k, v in per_process),
        )
    )
    seconds = (ours.get("training") or {}).get("seconds")
    targets.append(
        _target(
            "training_5min",
            "full training of all seven languages under 5 minutes",
            seconds,
            (base.get("training") or {}).get("seconds"),
            None if seconds is None else seconds < TRAINING_S,
            _training_cause(ours.get("training") or {}),
        )
    )
    targets.append(_accuracy_target(ours, base))
    return targets


def _training_cause(training: dict[str, Any]) -> str:
    text = f"Rasa's log: {training.get('log')}"
    profile = training.get("profile") or {}
    if profile.get("by_package"):
        packages = ", ".join(f"{p['package']} {p['percent']}%" for p in profile["by_package"][:4])
        ours = "; ".join(f"{f['frame']} {f['percent']}%" for f in profile.get("ours", [])[:3])
        text += f"; py-spy over the training: {packages}" + (f"; our code: {ours}" if ours else "")
    return text


def _accuracy_target(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    mine = ((ours.get("nlu") or {}).get("heldout") or {}).get("languages") or {}
    theirs = ((base.get("nlu") or {}).get("heldout") or {}).get("languages") or {}
    text = "held-out intent accuracy no worse than the default config's in any language"
    if not mine or not theirs:
        return _target(
            "accuracy_vs_default",
            text,
            None,
            None,
            None,
            "not measured (baseline or held-out evaluation skipped)",
        )
    worse = {
        lang: (mine[lang]["intent_accuracy"], theirs[lang]["intent_accuracy"])
        for lang in mine
        if lang in theirs and mine[lang]["intent_accuracy"] < theirs[lang]["intent_accuracy"]
    }
    measured = {lang: mine[lang]["intent_accuracy"] for lang in mine}
    baseline = {lang: theirs[lang]["intent_accuracy"] for lang in theirs}
    cause = "worse in " + ", ".join(
        f"{lang} ({a:.3f} vs {b:.3f})" for lang, (a, b) in worse.items()
    )
    return _target("accuracy_vs_default", text, measured, baseline, not worse, cause)


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
    """Our figures beside the baseline's, with ours/baseline for each."""

    def get(system: dict[str, Any], *path: str) -> Any:
        value: Any = system
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    rows = [
        ("p50 at 30 msg/s (ms)", ("target_step", "latency", "p50_ms")),
        ("p95 at 30 msg/s (ms)", ("target_step", "latency", "p95_ms")),
        ("p99 at 30 msg/s (ms)", ("target_step", "latency", "p99_ms")),
        ("errors at 30 msg/s", ("target_step", "errors")),
        ("highest rate with p99 < 500 ms (msg/s)", ("max_rate_under_limit",)),
        ("sustained answered rate there (msg/s)", ("sustained_rate",)),
        ("peak answered rate in any step (msg/s)", ("peak_answered_rate",)),
        ("start to first answer (s)", ("startup", "first_answer_s")),
        ("memory, sum of process peaks (MiB)", ("memory", "sum_hwm_mb")),
        ("NLU parse over HTTP, p50 (ms)", ("parse_http", "p50_ms")),
        ("NLU parse in-process, p50 (ms)", ("nlu", "parse", "p50_ms")),
        ("model load in-process (s)", ("nlu", "load_s")),
        ("full training (s)", ("training", "seconds")),
        ("held-out intent accuracy, all", ("nlu", "heldout", "overall", "intent_accuracy")),
    ]
    out = []
    for label, path in rows:
        mine, theirs = get(ours, *path), get(base, *path)
        numeric = isinstance(mine, int | float) and isinstance(theirs, int | float)
        out.append(
            {
                "figure": label,
                "ours": mine,
                "default": theirs,
                "ratio": ratio(mine, theirs) if numeric else None,
            }
        )
    return out
