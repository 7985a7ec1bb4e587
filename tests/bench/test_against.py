"""``--against REV`` without a stack: options, the worktree of a revision, the code checks and the
report with our figures beside the revision's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import against, report, targets
from bench.__main__ import parse_args, wants_baseline

# ------------------------------------------------------------------ options


def test_against_takes_a_revision_and_implies_skip_baseline() -> None:
    args = parse_args(["--quick", "--against", "HEAD~1"])
    assert args.against == "HEAD~1"
    assert wants_baseline(args) is False
    assert wants_baseline(parse_args(["--against", "HEAD~1", "--with-baseline"])) is True
    assert (
        wants_baseline(parse_args(["--against", "x", "--with-baseline", "--skip-baseline"]))
        is False
    )
    assert wants_baseline(parse_args([])) is True
    assert parse_args([]).against is None


# ------------------------------------------------------------------ the revision's worktree


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository of two commits: ``first`` then ``second``, each writing ``version.txt``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet")
    for subject in ("first", "second"):
        (repo / "version.txt").write_text(subject)
        _git(repo, "add", "version.txt")
        _git(repo, "commit", "--quiet", "-m", subject)
    return repo


def test_a_revision_resolves_to_its_commit_short_hash_and_subject(repo: Path) -> None:
    revision = against.resolve("HEAD~1", repo)
    assert revision.subject == "first" and revision.rev == "HEAD~1"
    assert revision.commit == _git(repo, "rev-parse", "HEAD~1")
    assert revision.commit.startswith(revision.short)
    with pytest.raises(SystemExit, match="not a git revision"):
        against.resolve("no-such-branch", repo)


def test_the_worktree_holds_the_revision_and_is_removed_afterwards(repo: Path) -> None:
    revision = against.resolve("HEAD~1", repo)
    with against.worktree(revision, repo) as tree:
        assert (tree / "version.txt").read_text() == "first"
        assert str(tree) in _git(repo, "worktree", "list")
    assert not tree.exists() and not tree.parent.exists()
    assert str(tree) not in _git(repo, "worktree", "list")
    assert (repo / "version.txt").read_text() == "second"  # the main checkout is untouched


def test_the_worktree_is_removed_on_failure_too(repo: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        against.worktree(against.resolve("HEAD", repo), repo) as tree,
    ):
        raise RuntimeError("boom")
    assert not tree.exists()
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


def test_catalogs_compile_in_the_worktree(tmp_path: Path) -> None:
    po = tmp_path / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "hello"\nmsgstr "bonjour"\n',
        encoding="utf-8",
    )
    assert against.compile_catalogs(tmp_path) == [po.with_suffix(".mo")]
    assert b"bonjour" in po.with_suffix(".mo").read_bytes()


# ------------------------------------------------------------------ whose code runs


def _tree(tmp_path: Path) -> Path:
    """A tree with a ``console`` package (also a package of this checkout's editable install)
    whose ``__main__`` sleeps."""
    tree = tmp_path / "tree"
    (tree / "console").mkdir(parents=True)
    (tree / "console" / "__init__.py").write_text("")
    (tree / "console" / "__main__.py").write_text(
        "import time\nwhile True:\n    time.sleep(0.05)\n"
    )
    return tree


def test_children_must_be_python_dash_m() -> None:
    assert against.module_of(["/x/python", "-m", "bot", "--replica", "0"]) == "bot"
    with pytest.raises(against.WrongCode):
        against.module_of(["/work/main/.venv/bin/emergebot", "db", "seed"])
    with pytest.raises(against.WrongCode):
        against.module_of(["/x/python", "script.py"])


def test_modules_resolve_in_the_tree_before_the_editable_install(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    env = against.tree_env(tree, dict(os.environ))
    origins = against.check_modules(tree, env, [[sys.executable, "-m", "console"]])
    assert origins == {"console": str(tree / "console" / "__init__.py")}
    with pytest.raises(against.WrongCode, match="emergebot"):  # only in this checkout
        against.check_modules(tree, env, [[sys.executable, "-m", "emergebot", "db", "seed"]])


def test_a_running_process_is_checked_against_the_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "console"], cwd=tree, env=against.tree_env(tree, dict(os.environ))
    )
    try:
        time.sleep(1.0)
        evidence = against.check_running(tree, {"staff console": child.pid})["staff console"]
        assert evidence["cwd"] == str(tree) and evidence["pythonpath"] == str(tree)
        if "main_module_in_tree" in evidence:  # py-spy could attach
            assert evidence["main_module_in_tree"] == "console/__main__.py"
        with pytest.raises(against.WrongCode, match="runs in"):
            against.check_running(tree, {"this test": os.getpid()})
    finally:
        child.kill()
        child.wait()


# ------------------------------------------------------------------ figures side by side


def _system(p50: float, p99: float, cpu: float, memory: float, first: float) -> dict:
    def step(rate: float, scale: float) -> dict:
        return {
            "name": f"{rate:g} msg/s",
            "target_rate": rate,
            "ladder": True,
            "achieved_rate": rate,
            "answered_rate": rate,
            "sent": 10,
            "answered": 10,
            "errors": 0,
            "active_founders": 20,
            "latency": {
                "p50_ms": p50 * scale,
                "p95_ms": p99 * scale * 0.8,
                "p99_ms": p99 * scale,
                "max_ms": p99 * scale,
            },
        }

    steps = [step(30.0, 1.0), step(60.0, 2.0)]
    return {
        "model": "nlu-1.tar.gz",
        "steps": steps,
        "target_step": {
            **steps[0],
            "cpu_ms_per_message": {"rasa server": cpu, "telegram adapter": cpu / 2},
            "bench_cpu_ms_per_message": 1.0,
        },
        "max_rate_under_limit": 60.0 if p99 * 2 < 500 else 30.0,
        "sustained_rate": 60.0,
        "peak_answered_rate": 60.0,
        "startup": {"first_answer_s": first, "ready_s": {"rasa server": first - 1}},
        "memory": {"sum_hwm_mb": memory, "processes": {"rasa server": {"hwm_mb": memory}}},
    }


def test_the_report_shows_the_revision_beside_ours(tmp_path: Path) -> None:
    ours = _system(40.0, 120.0, 20.0, 900.0, 12.0)
    theirs = _system(80.0, 300.0, 40.0, 1000.0, 15.0)
    revision = {
        "rev": "HEAD~1",
        "commit": "04ce145" + "0" * 33,
        "short": "04ce145",
        "subject": "One-way layers in bot/, resources opened on one AsyncExitStack, "
        "names that mean one thing",
    }
    theirs["source"] = {
        "rasa server": {
            "main_module": "/t/04ce145/nlu/server.py",
            "main_module_in_tree": "nlu/server.py",
        }
    }
    data = {
        "meta": {
            "started": "2026-01-01 10:00:00",
            "command": "python -m bench --against HEAD~1",
            "layout": "embedded",
            "git": "abc",
            "cores": 2,
            "load_before": "1",
            "load_after": "2",
            "note": "shared machine",
        },
        "systems": {"ours": ours},
        "errors": [],
        "targets": targets.evaluate(ours, None),
        "ratios": [],
        "against": {
            "revision": revision,
            "model": "nlu-1.tar.gz",
            "system": theirs,
            "comparison": against.comparison(ours, theirs),
        },
    }
    json_path, _ = report.write(data, tmp_path, "20260101-100000")
    assert json.loads(json_path.read_text())["against"]["revision"]["short"] == "04ce145"
    text = (tmp_path / "latest.md").read_text()
    assert (
        '## Ours beside `04ce145` (HEAD~1) "One-way layers in bot/, resources opened on one' in text
    )
    assert "| figure | ours | `04ce145` | ours / 04ce145 |" in text
    assert "| 30 msg/s: p50 (ms) | 40.0 | 80.0 | 0.50 |" in text
    assert "| 60 msg/s: p99 (ms) | 240.0 | 600.0 | 0.40 |" in text
    assert "| highest rate with p99 < 500 ms (msg/s) | 60.0 | 30.0 | 2.00 |" in text
    assert "| CPU per message at 30 msg/s, telegram adapter (ms) | 10.0 | 20.0 | 0.50 |" in text
    assert "| peak memory, rasa server (MiB) | 900.0 | 1000 | 0.90 |" in text
    assert "| start to first answer (s) | 12.0 | 15.0 | 0.80 |" in text
    assert "rasa server `nlu/server.py`" in text
    assert "## Load: `04ce145` (HEAD~1)" in text  # its own steps, as ours have
    assert text.count("| 60 msg/s | 60.0 | 60.0 | 60.0 | 80.0 |") == 1
    assert text.count("| 60 msg/s | 60.0 | 60.0 | 60.0 | 160.0 |") == 1


def test_a_step_only_one_side_reached_has_a_dash_on_the_other() -> None:
    ours, theirs = _system(40.0, 120.0, 20.0, 900.0, 12.0), _system(40.0, 120.0, 20.0, 9.0, 1.0)
    theirs["steps"] = theirs["steps"][:1]
    rows = {r["figure"]: r for r in against.comparison(ours, theirs)}
    assert rows["60 msg/s: p99 (ms)"]["theirs"] is None
    assert rows["60 msg/s: p99 (ms)"]["ratio"] is None
    assert list(rows).index("30 msg/s: p50 (ms)") < list(rows).index("60 msg/s: p50 (ms)")
