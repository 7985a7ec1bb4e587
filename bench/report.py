"""The benchmark report: JSON for machines, Markdown for people, under bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SYSTEM_TITLES = {"ours": "ours", "baseline": "default config (rasa init)"}


def _fmt(value: Any, digits: int | None = None) -> str:
    """A figure for a table: 3 decimals below 1 (accuracies, ratios), 1 below 1000, else 0."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if digits is None:
            digits = 3 if abs(value) < 1 else 1 if abs(value) < 1000 else 0
        return f"{value:.{digits}f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v, 3)}" for k, v in value.items())
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(_fmt(c) if not isinstance(c, str) else c for c in row) + " |"
        for row in rows
    ]
    return lines + [""]


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "**met**" if met else "**not met**"


def _steps(system: dict[str, Any]) -> list[str]:
    rows = []
    for s in system.get("steps", []):
        lat = s["latency"]
        rows.append(
            [
                s["name"],
                s["target_rate"],
                s["achieved_rate"],
                s["answered_rate"],
                lat["p50_ms"],
                lat["p95_ms"],
                lat["p99_ms"],
                lat["max_ms"],
                s["errors"],
                s["active_founders"],
                s.get("replies_per_turn"),
            ]
        )
    return _table(
        [
            "step",
            "target msg/s",
            "sent msg/s",
            "answered msg/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "errors",
            "founders",
            "replies/turn",
        ],
        rows,
    )


def _frames(entries: list[dict[str, Any]], key: str, count: int = 6) -> str:
    return "; ".join(f"`{e[key]}` {e['percent']}%" for e in entries[:count])


def _profile(system: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    cpu = (system.get("target_step") or {}).get("cpu_ms_per_message") or {}
    if cpu:
        lines += [
            "CPU per message at 30 msg/s (from /proc, measured pass): "
            + ", ".join(f"{k} {v} ms" for k, v in cpu.items())
            + f"; the benchmark itself (fake Bot API and founders) "
            f"{(system.get('target_step') or {}).get('bench_cpu_ms_per_message')} ms.",
            "",
        ]
    for name, prof in (system.get("profile") or {}).items():
        if "error" in prof:
            lines += [f"- {name}: py-spy failed: {prof['error']}", ""]
            continue
        main, every = prof["main"], prof["all"]
        if not every["samples"]:
            lines += [f"**{name}**: idle (no samples).", ""]
            continue
        threads = ", ".join(f"{k} ×{v}" for k, v in prof["threads"].items())
        lines += [
            f"**{name}**: main thread busy {main['busy_core_share']:.0%} of a core "
            f"({main['samples']} samples); threads not idle: {every['busy_core_share']:.2f} on "
            f"average (a thread blocked in C, e.g. on SQLite's lock, counts; seen: {threads}); "
            f"`{Path(prof['file']).name}`",
            "",
            "- main thread, by package: " + _frames(main["by_package"], "package"),
            "- main thread, hottest (self): " + _frames(main["self"], "frame"),
            "- main thread, on the stack: " + _frames(main["inclusive"], "frame"),
            "- main thread, our code on the stack: " + _frames(main.get("ours", []), "frame"),
            "- all threads, by package: " + _frames(every["by_package"], "package"),
            "- all threads, hottest (self): " + _frames(every["self"], "frame", 4),
            "",
        ]
    return lines


def _accuracy(report: dict[str, Any]) -> list[str]:
    systems = report["systems"]
    per = {
        key: ((s.get("nlu") or {}).get("heldout") or {}).get("languages") or {}
        for key, s in systems.items()
    }
    languages = list(per.get("ours") or per.get("baseline") or {})
    if not languages:
        return ["Held-out accuracy was not measured.", ""]
    rows = []
    for lang in [*languages, "all"]:
        row: list[Any] = [lang]
        for key in systems:
            figures = (
                per[key].get(lang)
                if lang != "all"
                else ((systems[key].get("nlu") or {}).get("heldout") or {}).get("overall")
            )
            row.append(None if not figures else figures["intent_accuracy"])
        rows.append(row)
    return _table(["language", *(SYSTEM_TITLES.get(k, k) for k in systems)], rows)


def against_label(revision: dict[str, Any], width: int = 60) -> str:
    """``abc1234 (HEAD~1) "subject"``, the subject cut at ``width`` characters."""
    subject = revision.get("subject", "")
    if len(subject) > width:
        subject = subject[: width - 1].rstrip() + "…"
    rev = revision.get("rev")
    named = f" ({rev})" if rev and rev != revision.get("short") else ""
    return f"`{revision.get('short', '?')}`{named} \"{subject}\""


def _against(against: dict[str, Any] | None) -> list[str]:
    """The "Ours beside REV" section: the same load on a stack of another revision's code."""
    if not against:
        return []
    revision = against["revision"]
    system = against.get("system") or {}
    lines = [
        f"## Ours beside {against_label(revision)}",
        "",
        f"The same load plan on a stack of the code at `{revision.get('rev')}` (commit "
        f"`{revision.get('commit')}`: {revision.get('subject')}), checked out in a temporary "
        f"worktree and serving the same model, `{against.get('model')}`; run after ours, never "
        "at the same time.",
        "",
    ]
    evidence = system.get("source") or {}
    if evidence:
        lines += [
            "Each of its processes was checked to run that worktree's code (cwd, PYTHONPATH, "
            "main module): "
            + ", ".join(
                f"{k} `{v.get('main_module_in_tree') or v.get('main_module')}`"
                for k, v in evidence.items()
            )
            + ".",
            "",
        ]
    if system.get("error"):
        lines += [f"Failed: {system['error']}", ""]
    rows = against.get("comparison") or []
    if rows:
        short = revision.get("short", "?")
        lines += _table(
            ["figure", "ours", f"`{short}`", f"ours / {short}"],
            [[r["figure"], r["ours"], r["theirs"], _fmt(r["ratio"], 2)] for r in rows],
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    meta = report["meta"]
    lines = [
        f"# Benchmark report, {meta['started']}",
        "",
        f"Command: `{meta['command']}` (layout `{meta['layout']}`; git {meta['git']}).",
        f"Machine: {meta['cores']} cores, load average {meta['load_before']} before and "
        f"{meta['load_after']} after. {meta['note']}",
        "",
    ]
    overrides = (meta.get("plan") or {}).get("env") or {}
    if overrides:
        lines += [
            "Stack environment set by the benchmark: "
            + ", ".join(f"`{k}={v}`" for k, v in overrides.items())
            + " (the fake Bot API has no flood limit, so the adapter's own limit of 30 "
            "messages a second, Telegram's, is lifted to measure the stack itself).",
            "",
        ]
    lines += ["## Targets (issue 5, part 4)", ""]
    lines += _table(
        ["target", "measured", "default config", "verdict", "measured cause of a miss"],
        [
            [
                t["target"],
                _fmt(t["measured"]),
                _fmt(t["baseline"]),
                _verdict(t["met"]),
                t["cause"] or "",
            ]
            for t in report["targets"]
        ],
    )
    if report.get("ratios"):
        lines += ["## Ours beside the default config", ""]
        lines += _table(
            ["figure", "ours", "default config", "ours / default"],
            [[r["figure"], r["ours"], r["default"], _fmt(r["ratio"], 2)] for r in report["ratios"]],
        )
    lines += _against(report.get("against"))
    loads = [
        (f"## Load: {SYSTEM_TITLES.get(key, key)} (`{system.get('model', '?')}`)", system)
        for key, system in report["systems"].items()
    ]
    if report.get("against"):
        against = report["against"]
        loads.append(
            (
                f"## Load: {against_label(against['revision'])} "
                f"(`{(against.get('system') or {}).get('model', '?')}`)",
                against.get("system") or {},
            )
        )
    for heading, system in loads:
        lines += [heading, ""]
        if system.get("error"):
            lines += [f"Failed: {system['error']}", ""]
        lines += _steps(system)
        startup = system.get("startup") or {}
        memory = system.get("memory") or {}
        lines += [
            f"Start to first answer: {_fmt(startup.get('first_answer_s'))} s "
            f"(ready: {_fmt(startup.get('ready_s'))}). Highest rate with p99 < 500 ms: "
            f"{_fmt(system.get('max_rate_under_limit'))} msg/s (answered there: "
            f"{_fmt(system.get('sustained_rate'))} msg/s); most answered per second in any "
            f"step: {_fmt(system.get('peak_answered_rate'))} msg/s.",
            "",
            "Peak memory (MiB, VmHWM per process tree; sampled resident peak in brackets): "
            + ", ".join(
                f"{k} {v.get('hwm_mb')} ({v.get('peak_rss_mb')})"
                for k, v in (memory.get("processes") or {}).items()
            )
            + f"; sum {_fmt(memory.get('sum_hwm_mb'))} "
            f"(simultaneous sampled peak {_fmt(memory.get('sum_peak_rss_mb'))}).",
            "",
        ]
        nlu = system.get("nlu") or {}
        http = system.get("parse_http") or {}
        parse_http = (
            f"NLU parse alone: HTTP `/model/parse` p50 {_fmt(http.get('p50_ms'))} ms, "
            f"p99 {_fmt(http.get('p99_ms'))} ms"
        )
        if not nlu:  # e.g. --against: the in-process probe runs once per model file, for ours
            lines += [parse_http + ".", ""]
        else:
            lines += [
                parse_http + "; in-process Agent p50 "
                f"{_fmt((nlu.get('parse') or {}).get('p50_ms'))} ms, p99 "
                f"{_fmt((nlu.get('parse') or {}).get('p99_ms'))} ms; model load "
                f"{_fmt(nlu.get('load_s'))} s after a {_fmt(nlu.get('import_s'))} s import; "
                f"agent peak memory {_fmt(nlu.get('peak_rss_mb'))} MiB.",
                "",
            ]
        training = system.get("training") or {}
        if training:
            cached = (
                " (cached model: time measured when it was trained)"
                if training.get("cached")
                else ""
            )
            lines += [
                f"Full training: {_fmt(training.get('seconds'))} s with "
                f"`{training.get('command')}`{cached}"
                + (
                    f"; the whole command, with its data check and held-out scoring, took "
                    f"{_fmt(training['command_seconds'])} s."
                    if training.get("command_seconds")
                    else "."
                ),
                "",
            ]
    lines += ["## Held-out intent accuracy (tests/nlu/heldout)", ""] + _accuracy(report)
    lines += [
        "## Profile of the hottest code paths",
        "",
        "py-spy recorded the adapter, Rasa and the action server during a separate pass at "
        "30 msg/s (so the profiler's own cost stays out of the measured figures). Open the "
        "speedscope files at speedscope.app.",
        "",
    ] + _profile(report["systems"]["ours"])
    if report.get("errors"):
        lines += (
            ["## Problems and caveats of this run", ""]
            + [f"- {e}" for e in report["errors"]]
            + [""]
        )
    return "\n".join(lines)


def write(report: dict[str, Any], results_dir: Path, stamp: str) -> tuple[Path, Path]:
    """Write ``<stamp>.json``/``.md`` and ``latest.json``/``latest.md``; return the stamped pair."""
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    md = markdown(report)
    json_path, md_path = results_dir / f"{stamp}.json", results_dir / f"{stamp}.md"
    for path, content in (
        (json_path, text),
        (results_dir / "latest.json", text),
        (md_path, md),
        (results_dir / "latest.md", md),
    ):
        path.write_text(content, encoding="utf-8")
    return json_path, md_path
