"""``--against REV``: the same load on a stack built from the code of another git revision.

The revision is checked out with ``git worktree add --detach`` into a temporary directory (removed
afterwards, also on failure), its gettext catalogs are compiled there as ``make catalogs`` does,
and every process of its stack runs ``python -m <module>`` with the worktree as working directory
and as ``PYTHONPATH``. The editable install of this checkout is a meta-path finder *appended* to
``sys.meta_path``, so the worktree's packages, found first on ``sys.path``, win. The processes to
start are those of the *revision's* ``emergebot.supervisor.plan`` (read by a small script run in
the worktree), so a revision that starts other processes is measured as it is.

That the stack really runs the revision's code is checked twice, and a mismatch raises
:class:`WrongCode` (the run stops: a comparison against the wrong code must not be reported):
before the start, the module of every child resolves (``importlib.util.find_spec``, same
interpreter, directory and environment) to a file in the worktree; once it is ready, each child's
``/proc/PID/cwd`` and ``PYTHONPATH`` are the worktree's, and py-spy (when installed) shows the
``<module>`` frame of its main thread in the worktree and no frame from this checkout's code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.stats import ratio
from hubdata.settings import PROJECT_ROOT


class WrongCode(RuntimeError):
    """A process of the revision's stack would run (or runs) code from outside its worktree."""


@dataclass(frozen=True)
class Revision:
    """A git revision as given (``rev``) and as resolved."""

    rev: str
    commit: str
    short: str
    subject: str

    def to_json(self) -> dict[str, str]:
        """The revision for the JSON report."""
        return asdict(self)


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def resolve(rev: str, repo: Path = PROJECT_ROOT) -> Revision:
    """Resolve ``rev`` to a commit (with its short hash and subject).

    Raises:
        SystemExit: ``rev`` names no commit of the repository.
    """
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=repo)
        short, subject = _git("log", "-1", "--format=%h%x00%s", commit, cwd=repo).split("\0", 1)
    except (subprocess.CalledProcessError, ValueError) as error:
        raise SystemExit(f"--against {rev}: not a git revision of {repo}") from error
    return Revision(rev=rev, commit=commit, short=short, subject=subject)


@contextlib.contextmanager
def worktree(revision: Revision, repo: Path = PROJECT_ROOT) -> Iterator[Path]:
    """A detached worktree of ``revision`` in a temporary directory, removed on leaving."""
    parent = Path(tempfile.mkdtemp(prefix="bench-against-"))
    tree = parent / revision.short
    try:
        _git("worktree", "add", "--detach", "--quiet", str(tree), revision.commit, cwd=repo)
        yield tree
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _git("worktree", "remove", "--force", str(tree), cwd=repo)
        shutil.rmtree(parent, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            _git("worktree", "prune", cwd=repo)


def compile_catalogs(tree: Path, log: Path | None = None) -> list[Path]:
    """Compile ``locales/*/LC_MESSAGES/messages.po`` into ``.mo`` as ``make catalogs`` does."""
    pybabel = Path(sys.executable).with_name("pybabel")
    command = str(pybabel) if pybabel.exists() else shutil.which("pybabel") or "pybabel"
    compiled = []
    for po in sorted(tree.glob("locales/*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        result = subprocess.run(
            [command, "compile", "--statistics", "-i", str(po), "-o", str(mo)],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"pybabel compile {po} failed: {result.stderr.strip()}")
        compiled.append(mo)
    return compiled


def tree_env(tree: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` for a process of the revision: its code from ``tree`` only."""
    out = {**env, "PYTHONPATH": str(tree)}
    out.pop("PYTHONSTARTUP", None)
    return out


# Run with ``python -c`` in the worktree (so REV's own modules answer): the revision's plan of
# processes and their environment, as JSON, and where its modules came from.
PLAN_SCRIPT = """
import json, os, sys
from pathlib import Path
from emergebot import supervisor
from hubdata import settings as settings_module
settings = settings_module.Settings.from_env()
children = supervisor.plan(settings, Path(sys.argv[1]), local_chat=False)
print(json.dumps({
    "children": [{"name": c.name, "command": c.command, "health_url": c.health_url,
                  "listening": c.listening, "headers": c.headers} for c in children],
    "env": supervisor.stack_environment(settings, os.environ["RASA_TOKEN"]),
    "modules": {"emergebot.supervisor": supervisor.__file__,
                "hubdata.settings": settings_module.__file__},
    "project_root": str(settings_module.PROJECT_ROOT),
    "rasa_urls": list(getattr(settings, "rasa_urls", [settings.rasa_url])),
}))
"""

SPEC_SCRIPT = """
import importlib.util, json, sys
print(json.dumps({name: importlib.util.find_spec(name).origin for name in sys.argv[1:]}))
"""


def _inside(path: str | Path | None, tree: Path) -> bool:
    if not path:
        return False
    return Path(path).resolve().is_relative_to(tree.resolve())


def _python_json(script: str, args: list[str], tree: Path, env: dict[str, str]) -> Any:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tree,
        env=tree_env(tree, env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"in the worktree {tree}: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def plan_at(tree: Path, env: dict[str, str], model: Path) -> dict[str, Any]:
    """The revision's children and stack environment (see ``PLAN_SCRIPT``), checked.

    Raises:
        WrongCode: The plan was read from modules outside ``tree``, or a child is not started
            as ``python -m <module>`` (a console script would import this checkout's code).
    """
    planned: dict[str, Any] = _python_json(PLAN_SCRIPT, [str(model)], tree, env)
    outside = {k: v for k, v in planned["modules"].items() if not _inside(v, tree)}
    if outside or not _inside(planned["project_root"], tree):
        raise WrongCode(f"the revision's plan came from outside {tree}: {planned['modules']}")
    for child in planned["children"]:
        module_of(child["command"])
    return planned


def module_of(command: list[str]) -> str:
    """The module of ``[python, "-m", module, ...]``.

    Raises:
        WrongCode: Any other command (a console script imports the installed package).
    """
    if len(command) < 3 or command[1] != "-m" or Path(command[0]).name.startswith("emergebot"):
        raise WrongCode(f"not a `python -m` command: {command}")
    return command[2]


def check_modules(tree: Path, env: dict[str, str], commands: list[list[str]]) -> dict[str, str]:
    """Where each command's module resolves with the children's interpreter, cwd and env.

    Raises:
        WrongCode: A module resolves to a file outside ``tree``.
    """
    names = sorted({module_of(c) for c in commands})
    origins: dict[str, str] = _python_json(SPEC_SCRIPT, names, tree, env)
    wrong = {k: v for k, v in origins.items() if not _inside(v, tree)}
    if wrong:
        raise WrongCode(f"modules resolve outside the worktree {tree}: {wrong}")
    return origins


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode(errors="replace").partition("=") for item in raw if item)
    return {key: value for key, _, value in pairs}


def _py_spy_frames(pid: int) -> list[dict[str, Any]] | None:
    from bench.profiling import py_spy

    spy = py_spy()
    if spy is None:
        return None
    result = subprocess.run(
        [spy, "dump", "--full-filenames", "--json", "--pid", str(pid)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return None
    threads = json.loads(result.stdout)
    return [frame for thread in threads for frame in thread.get("frames", [])]


def check_running(tree: Path, pids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Check the live processes of the revision's stack; return the evidence per process.

    Raises:
        WrongCode: A process's cwd or ``PYTHONPATH`` is not the worktree, its main module is
            outside it, or one of its frames is this checkout's code.
    """
    evidence: dict[str, dict[str, Any]] = {}
    ours = PROJECT_ROOT.resolve()
    venv = Path(sys.prefix).resolve()
    for name, pid in pids.items():
        cwd = os.readlink(f"/proc/{pid}/cwd")
        pythonpath = _environ(pid).get("PYTHONPATH")
        if not _inside(cwd, tree) or pythonpath != str(tree):
            raise WrongCode(f"{name} (pid {pid}) runs in {cwd} with PYTHONPATH={pythonpath}")
        record: dict[str, Any] = {"pid": pid, "cwd": cwd, "pythonpath": pythonpath}
        frames = _py_spy_frames(pid)
        if frames is None:
            record["main_module"] = "not checked (py-spy unavailable or could not attach)"
        else:
            entry = [f["filename"] for f in frames if f.get("name") == "<module>"]
            foreign = sorted(
                {
                    f["filename"]
                    for f in frames
                    if Path(f["filename"]).is_relative_to(ours)
                    and not Path(f["filename"]).is_relative_to(venv)
                }
            )
            if not entry or not all(_inside(path, tree) for path in entry) or foreign:
                raise WrongCode(
                    f"{name} (pid {pid}) runs {entry or 'no <module> frame'}"
                    + (f" and this checkout's {foreign}" if foreign else "")
                )
            record["main_module"] = entry[0]
            record["main_module_in_tree"] = str(
                Path(entry[0]).resolve().relative_to(tree.resolve())
            )
        evidence[name] = record
    return evidence


# ------------------------------------------------------------------ figures side by side


def _get(system: dict[str, Any], *path: str) -> Any:
    value: Any = system
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _per_process(ours: dict[str, Any], theirs: dict[str, Any], label: str,
                 path: tuple[str, ...], leaf: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """One row per process found under ``path`` in either system: (label, ours, theirs)."""
    return [(label.format(process), _get(ours, *path, process, *leaf),
             _get(theirs, *path, process, *leaf))
            for process in _merged_keys(_get(ours, *path), _get(theirs, *path))]


def _merged_keys(*mappings: dict[str, Any] | None) -> list[str]:
    keys: list[str] = []
    for mapping in mappings:
        keys += [k for k in (mapping or {}) if k not in keys]
    return keys


def _ladder(system: dict[str, Any]) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for step in system.get("steps") or []:
        if step.get("ladder"):
            steps.setdefault(f"{step['target_rate']:g} msg/s", step)
    return steps


def comparison(ours: dict[str, Any], theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """Our load figures beside the revision's, with ours/theirs for each.

    Both arguments are results of ``bench.system.run_system``. Rows: p50/p95/p99 and errors of
    each ladder step (by target rate, in climbing order), the highest rate with p99 under the
    limit and the rates answered, CPU per message at the target rate by process, peak memory by
    process and summed, and start-up (first answer, each process ready).
    """
    rows: list[tuple[str, Any, Any]] = []
    mine, other = _ladder(ours), _ladder(theirs)
    for step in sorted(_merged_keys(mine, other), key=lambda k: float(k.split()[0])):
        for figure in ("p50_ms", "p95_ms", "p99_ms"):
            rows.append(
                (
                    f"{step}: {figure[:3]} (ms)",
                    _get(mine.get(step) or {}, "latency", figure),
                    _get(other.get(step) or {}, "latency", figure),
                )
            )
        rows.append(
            (
                f"{step}: errors",
                _get(mine.get(step) or {}, "errors"),
                _get(other.get(step) or {}, "errors"),
            )
        )
    rows += [
        (
            "highest rate with p99 < 500 ms (msg/s)",
            ours.get("max_rate_under_limit"),
            theirs.get("max_rate_under_limit"),
        ),
        (
            "sustained answered rate there (msg/s)",
            ours.get("sustained_rate"),
            theirs.get("sustained_rate"),
        ),
        (
            "peak answered rate in any step (msg/s)",
            ours.get("peak_answered_rate"),
            theirs.get("peak_answered_rate"),
        ),
    ]
    rows += _per_process(ours, theirs, "CPU per message at 30 msg/s, {} (ms)",
                         ("target_step", "cpu_ms_per_message"))
    bench_cpu = ("target_step", "bench_cpu_ms_per_message")
    rows.append(
        (
            "CPU per message at 30 msg/s, the benchmark itself (ms)",
            _get(ours, *bench_cpu),
            _get(theirs, *bench_cpu),
        )
    )
    rows += _per_process(ours, theirs, "peak memory, {} (MiB)", ("memory", "processes"),
                         ("hwm_mb",))
    rows.append(
        (
            "memory, sum of process peaks (MiB)",
            _get(ours, "memory", "sum_hwm_mb"),
            _get(theirs, "memory", "sum_hwm_mb"),
        )
    )
    rows.append(
        (
            "start to first answer (s)",
            _get(ours, "startup", "first_answer_s"),
            _get(theirs, "startup", "first_answer_s"),
        )
    )
    rows += _per_process(ours, theirs, "start to ready, {} (s)", ("startup", "ready_s"))
    rows.append(
        (
            "NLU parse over HTTP, p50 (ms)",
            _get(ours, "parse_http", "p50_ms"),
            _get(theirs, "parse_http", "p50_ms"),
        )
    )
    out = []
    for label, a, b in rows:
        numeric = isinstance(a, int | float) and isinstance(b, int | float)
        out.append(
            {"figure": label, "ours": a, "theirs": b, "ratio": ratio(a, b) if numeric else None}
        )
    return out
