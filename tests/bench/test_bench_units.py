"""The benchmark's pure parts: statistics, rate control, founders, targets, profiles, reports."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from bench import report, targets
from bench.founders import CLICK, TEXT, choose_button, conversation, parse_texts
from bench.load import HANDOFF_IDS, ReplyPatterns, StepResult, Turn
from bench.procs import cpu_per_message, descendants, memory_kb
from bench.profiling import package_of, summarise_speedscope, thread_group
from bench.schedule import arrival_offsets, next_ladder_rate, think_time
from bench.stats import percentile, ratio, summarise
from bench.training import data_hash
from hubdata.i18n import Catalogs
from hubdata.settings import SUPPORTED_LANGUAGES

# ------------------------------------------------------------------ statistics


def test_percentiles_interpolate_between_ranks() -> None:
    samples = list(range(100, 0, -1))  # 1..100, unordered
    assert percentile(samples, 0) == 1
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 99) == pytest.approx(99.01)
    assert percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(samples, 101)


def test_summary_is_in_milliseconds() -> None:
    summary = summarise([0.010, 0.020, 0.030, 1.0])
    assert summary["count"] == 4
    assert summary["p50_ms"] == 25.0
    assert summary["max_ms"] == 1000.0
    assert summarise([])["p99_ms"] is None


def test_ratio_guards_missing_figures() -> None:
    assert ratio(10.0, 40.0) == 0.25
    assert ratio(None, 3.0) is None
    assert ratio(3.0, 0) is None


# ------------------------------------------------------------------ rate control


def test_uniform_arrivals_are_evenly_spaced() -> None:
    offsets = list(arrival_offsets(4.0, 2.0, "uniform"))
    assert offsets == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75])


def test_poisson_arrivals_hold_the_mean_rate_and_repeat_with_the_seed() -> None:
    offsets = list(arrival_offsets(50.0, 200.0, "poisson", seed=3))
    assert abs(len(offsets) / 200.0 - 50.0) < 2.5
    assert offsets == sorted(offsets) and offsets[-1] < 200.0
    assert offsets == list(arrival_offsets(50.0, 200.0, "poisson", seed=3))
    assert offsets != list(arrival_offsets(50.0, 200.0, "poisson", seed=4))


def test_arrivals_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(arrival_offsets(0.0, 1.0))
    with pytest.raises(ValueError):
        list(arrival_offsets(1.0, 1.0, "bursty"))


def test_founders_think_at_least_a_second() -> None:
    rng = random.Random(5)
    times = [think_time(rng) for _ in range(2000)]
    assert min(times) >= 1.0 and max(times) <= 8.0
    assert max(times) > 2.0  # not a constant


def test_ladder_climbs_until_a_rung_fails() -> None:
    up = (30.0, 40.0, 60.0)
    assert next_ladder_rate([], up) == 30.0
    assert next_ladder_rate([(30.0, True)], up) == 40.0
    assert next_ladder_rate([(30.0, True), (40.0, True)], up) == 60.0
    assert next_ladder_rate([(30.0, True), (40.0, False)], up) is None
    assert next_ladder_rate([(30.0, True), (40.0, True), (60.0, True)], up) is None


def test_ladder_descends_when_the_first_rung_fails() -> None:
    up, down = (30.0, 40.0), (20.0, 10.0)
    assert next_ladder_rate([(30.0, False)], up, down) == 20.0
    assert next_ladder_rate([(30.0, False), (20.0, False)], up, down) == 10.0
    assert next_ladder_rate([(30.0, False), (20.0, True)], up, down) is None
    assert next_ladder_rate([(30.0, False), (20.0, False), (10.0, False)], up, down) is None


# ------------------------------------------------------------------ founders


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_conversations_ask_a_topic_with_every_placeholder_filled(lang: str) -> None:
    rng = random.Random(11)
    for _ in range(50):
        steps = conversation(rng, lang)
        assert any(s.label.startswith("topic:") for s in steps)
        for step in steps:
            assert (step.text == "") == (step.kind == CLICK)
            assert "{" not in step.text and "}" not in step.text


def test_conversations_repeat_with_the_seed_and_mix_steps() -> None:
    first = [conversation(random.Random(2), "fr") for _ in range(3)]
    assert first == [conversation(random.Random(2), "fr") for _ in range(3)]
    labels = {s.label for seed in range(200) for s in conversation(random.Random(seed), "en")}
    assert {"start", "greet", "follow_up", "click", "thanks", "goodbye"} <= labels


def test_a_request_for_a_person_ends_the_founders_conversation() -> None:
    """After /human staff answer (when they choose to), so the simulated founder stops: a
    message to an open ticket gets no bot reply and would count as a timeout."""
    asked = 0
    for seed in range(600):
        steps = conversation(random.Random(seed), SUPPORTED_LANGUAGES[seed % 7])
        labels = [step.label for step in steps]
        if "human" in labels:
            asked += 1
            assert labels[-1] == "human"
    assert asked > 0


def test_parse_texts_interleave_languages() -> None:
    texts = parse_texts(3)
    assert len(texts) == 3 * len(SUPPORTED_LANGUAGES)
    assert any("\u4e00" <= c <= "\u9fff" for c in texts[SUPPORTED_LANGUAGES.index("zh")])


def test_founders_press_next_page_else_the_first_button() -> None:
    assert choose_button([("◀ Previous", "a"), ("Next ▶", "b")]) == "b"
    assert choose_button([("Ghana", "g"), ("Kenya", "k")]) == "g"
    assert choose_button([]) is None


def test_error_replies_are_recognised_in_every_language() -> None:
    catalogs = Catalogs()
    errors = ReplyPatterns(catalogs)
    for lang in SUPPORTED_LANGUAGES:
        assert errors.match(catalogs.render(lang, "error.internal")) == "error.internal"
    assert errors.match(catalogs.render("en", "start")) is None


def test_handoff_replies_are_recognised_in_every_language() -> None:
    """A founder whose chat went to staff stops talking to the bot (see HANDOFF_IDS)."""
    catalogs = Catalogs()
    handoffs = ReplyPatterns(catalogs, HANDOFF_IDS)
    for lang in SUPPORTED_LANGUAGES:
        for msgid in HANDOFF_IDS:
            text = catalogs.render(lang, msgid, {"hours": 4, "number": 12, "ticket": 12})
            assert handoffs.match(text) == msgid
    assert handoffs.match(catalogs.render("en", "error.internal")) is None


def _turn(update_id: int, latency: float | None, error: str | None = None) -> Turn:
    turn = Turn(update_id, 1, "en", "greet", TEXT, "s", sent_at=100.0, error=error)
    if latency is not None:
        turn.first_at = turn.last_at = 100.0 + latency
        turn.replies = 1
    return turn


def test_step_summary_counts_timeouts_as_errors_at_the_timeout() -> None:
    turns = [_turn(i, 0.1) for i in range(98)] + [
        _turn(98, None, "timeout"),
        _turn(99, 0.2, "reply error.internal"),
    ]
    result = StepResult(
        "30 msg/s",
        30.0,
        10.0,
        turns,
        missed=1,
        max_lag_ms=0.0,
        new_founders=0,
        active_founders=5,
        timeout_s=10.0,
    )
    summary = result.summary()
    assert summary["sent"] == 100 and summary["answered"] == 99
    assert summary["errors"] == 3
    assert summary["error_kinds"] == {
        "timeout": 1,
        "reply error.internal": 1,
        "no founder ready": 1,
    }
    assert summary["latency"]["max_ms"] == 10000.0
    assert summary["achieved_rate"] == 10.0


# ------------------------------------------------------------------ targets


def _step(rate: float, p99: float, errors: int = 0, ladder: bool = True) -> dict:
    return {
        "name": f"{rate}",
        "target_rate": rate,
        "ladder": ladder,
        "sent": 10,
        "answered": 10,
        "errors": errors,
        "latency": {"p99_ms": p99},
    }


def test_highest_passing_rate_ignores_failed_and_unladdered_steps() -> None:
    steps = [
        _step(10, 50, ladder=False),
        _step(30, 120),
        _step(40, 300),
        _step(50, 450, 1),
        _step(60, 900),
        _step(80, 100, ladder=False),
    ]
    assert targets.highest_passing_rate(steps) == 40
    assert targets.highest_passing_rate([_step(30, 600)]) is None


def _system(
    p99: float, first: float, memory: float, train: float, accuracy: dict[str, float]
) -> dict:
    return {
        "steps": [_step(30, p99)],
        "target_step": {**_step(30, p99), "cpu_ms_per_message": {"rasa server": 20.0}},
        "max_rate_under_limit": 30.0 if p99 < 500 else None,
        "startup": {"first_answer_s": first, "ready_s": {"rasa server": first}},
        "memory": {"sum_hwm_mb": memory, "processes": {"rasa server": {"hwm_mb": memory}}},
        "training": {"seconds": train},
        "nlu": {
            "heldout": {
                "languages": {k: {"intent_accuracy": v} for k, v in accuracy.items()},
                "overall": {"intent_accuracy": 0.9},
            }
        },
    }


def test_targets_are_judged_and_misses_name_their_cause() -> None:
    ours = _system(120.0, 12.0, 2000.0, 70.0, {"en": 0.95, "fr": 0.80})
    base = _system(900.0, 45.0, 1100.0, 900.0, {"en": 0.90, "fr": 0.85})
    verdicts = {t["id"]: t for t in targets.evaluate(ours, base)}
    assert verdicts["p99_at_30"]["met"] is True and verdicts["p99_at_30"]["cause"] == ""
    assert verdicts["rate_p99_under_500"]["met"] is False
    assert "rasa server 20.0 ms" in verdicts["rate_p99_under_500"]["cause"]
    assert verdicts["ready_20s"]["met"] is True
    assert verdicts["memory_1_5gb"]["met"] is False
    assert "rasa server 2000.0 MiB" in verdicts["memory_1_5gb"]["cause"]
    assert verdicts["training_5min"]["met"] is True
    assert verdicts["accuracy_vs_default"]["met"] is False
    assert "fr (0.800 vs 0.850)" in verdicts["accuracy_vs_default"]["cause"]
    rows = {r["figure"]: r for r in targets.ratios(ours, base)}
    assert rows["full training (s)"]["ratio"] == pytest.approx(0.08)


def test_a_latency_miss_names_the_busiest_main_thread_and_blocked_threads() -> None:
    ours = _system(900.0, 12.0, 900.0, 70.0, {"en": 0.95})
    package = [{"package": "jsonschema", "percent": 40.0}]
    ours["profile"] = {
        "telegram adapter": {
            "main": {"samples": 50, "busy_core_share": 0.5, "by_package": package, "ours": []},
            "all": {
                "busy_core_share": 6.0,
                "by_package": [{"package": "aiosqlite", "percent": 90.0}],
            },
        },
        "rasa server": {
            "main": {
                "samples": 97,
                "busy_core_share": 0.97,
                "by_package": package,
                "ours": [{"frame": "process (nlu/x.py:1)", "percent": 7.0}],
            },
            "all": {"busy_core_share": 0.97, "by_package": package},
        },
        "action server": {"error": "cannot attach"},
    }
    cause = {t["id"]: t for t in targets.evaluate(ours, None)}["p99_at_30"]["cause"]
    assert "rasa server 97% (jsonschema 40.0%; in our code process (nlu/x.py:1) 7.0%)" in cause
    assert cause.index("rasa server 97%") < cause.index("telegram adapter 50%")
    assert "plus 5.5 other threads not idle on average (aiosqlite 90.0%" in cause
    assert "the profile of the action server failed: cannot attach" in cause


def test_targets_without_baseline_are_not_measured() -> None:
    verdicts = {t["id"]: t for t in targets.evaluate({}, None)}
    assert all(v["met"] is None for v in verdicts.values())


# ------------------------------------------------------------------ profiles


def test_speedscope_summary_splits_main_thread_and_packages() -> None:
    root = "/work/x/.venv/lib/python3.10/site-packages/"
    frames = [
        {"name": "run_forever", "file": "/usr/lib/python3.10/asyncio/base_events.py"},
        {"name": "handle", "file": root + "rasa/core/processor.py", "line": 10},
        {"name": "validate", "file": root + "jsonschema/validators.py", "line": 5},
        {"name": "worker", "file": root + "aiosqlite/core.py", "line": 63},
    ]
    data = {
        "shared": {"frames": frames},
        "profiles": [
            {
                "name": 'Thread 1 "MainThread"',
                "samples": [[0, 1, 2]] * 3 + [[0, 1]],
                "weights": [0.01] * 4,
            },
            {"name": 'Thread 2 "Thread-9 (worker)"', "samples": [[3]] * 4, "weights": [0.01] * 4},
        ],
    }
    summary = summarise_speedscope(data, duration_s=0.04)
    assert summary["threads"] == {"MainThread": 1, "worker": 1}
    assert summary["main"]["busy_core_share"] == 1.0
    assert summary["all"]["busy_core_share"] == 2.0
    assert summary["main"]["by_package"][0] == {"package": "jsonschema", "percent": 75.0}
    assert summary["main"]["self"][0]["frame"].startswith("validate (jsonschema/validators.py")
    inclusive = [f["frame"] for f in summary["main"]["inclusive"]]
    assert inclusive == ["validate (jsonschema/validators.py:5)"]  # 100% and asyncio dropped


def test_frames_belong_to_packages() -> None:
    assert package_of("/a/site-packages/sqlalchemy/orm/x.py") == "sqlalchemy"
    assert package_of("/usr/lib/python3.10/asyncio/events.py") == "stdlib: asyncio"
    assert thread_group('Thread 5 "Thread-3 (_connection_worker_thread)"') == (
        "_connection_worker_thread"
    )
    assert thread_group("Thread 5") == "unnamed"


def test_process_figures_come_from_proc() -> None:
    assert os.getpid() in descendants(os.getpid())
    rss, peak = memory_kb(os.getpid())
    assert 0 < rss <= peak
    assert memory_kb(2**22 + 12345) == (0, 0)
    assert cpu_per_message({"a": 1.0}, {"a": 1.5}, 100) == {"a": 5.0}
    assert cpu_per_message({}, {"a": 1.0}, 0) == {}


def test_training_data_hash_follows_the_data(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    config = tmp_path / "config.yml"
    config.write_text("pipeline: []\n")
    (tmp_path / "data" / "a.yml").write_text("nlu: []\n")
    before = data_hash(config, ("data",), tmp_path)
    assert before == data_hash(config, ("data",), tmp_path)
    (tmp_path / "data" / "a.yml").write_text("nlu: [x]\n")
    assert data_hash(config, ("data",), tmp_path) != before


# ------------------------------------------------------------------ reports


def test_reports_are_written_as_json_and_markdown(tmp_path: Path) -> None:
    ours = _system(120.0, 12.0, 900.0, 70.0, {"en": 0.95})
    ours["steps"][0].update(
        {
            "achieved_rate": 29.8,
            "answered_rate": 29.7,
            "active_founders": 80,
            "latency": {"p50_ms": 40.0, "p95_ms": 90.0, "p99_ms": 120.0, "max_ms": 140.0},
        }
    )
    ours["profile"] = {"rasa server": {"error": "cannot attach"}}
    data = {
        "meta": {
            "started": "2026-01-01 10:00:00",
            "command": "python -m bench",
            "layout": "embedded",
            "git": "abc",
            "cores": 2,
            "load_before": "1",
            "load_after": "2",
            "note": "shared machine",
        },
        "systems": {"ours": ours},
        "errors": ["training: boom"],
        "targets": targets.evaluate(ours, None),
        "ratios": [],
    }
    json_path, md_path = report.write(data, tmp_path, "20260101-100000")
    assert json.loads((tmp_path / "latest.json").read_text()) == json.loads(json_path.read_text())
    text = (tmp_path / "latest.md").read_text()
    assert text == md_path.read_text()
    assert "| p99 under 150 ms at 30 msg/s | 120.0 | – | **met** |" in text
    assert "| 30 | 30 | 29.8 | 29.7 | 40.0 | 90.0 | 120.0 | 140.0 | 0 | 80 |" in text
    assert "py-spy failed: cannot attach" in text
    assert "| en | 0.950 |" in text  # accuracies keep three decimals
    assert "- training: boom" in text
