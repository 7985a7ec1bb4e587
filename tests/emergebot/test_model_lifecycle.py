"""Train, evaluate, promote, hot-swap and roll back, with real models and a real Rasa server.

Module fixtures, made once: the shipped model's evaluation (through ``nlu evaluate``), a
deliberately worse candidate trained from two examples per intent (through ``nlu train`` on a
copy of the data), and one Rasa server running the shipped model. Each test then gets its own
model directory and registry (shipped live, worse candidate), so that they do not depend on
each other; the swap tests leave the server on the shipped model.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emergebot import modelfiles, nlu_yaml, supervisor
from emergebot.evaluation import load_heldout, summary
from emergebot.registry import Registry, file_sha256, now
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES, Settings
from tests.emergebot.conftest import EMERGEBOT, cli_env, copy_project

TOKEN = "lifecycle-test-token"


def _run(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([EMERGEBOT, *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lifecycle")


@pytest.fixture(scope="module")
def shipped() -> Path:
    """The model trained from the repository's data (make test trains it first)."""
    path = modelfiles.current_model(PROJECT_ROOT / "models")
    if path is None or path.name != modelfiles.model_path(Path(), modelfiles.fingerprint()).name:
        pytest.fail("the model is missing or older than the data: run `make model`")
    return path


@pytest.fixture(scope="module")
def shipped_report(tmp: Path, shipped: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """``nlu evaluate`` of the shipped model: the report directory and the command's result."""
    out = tmp / "shipped-report"
    result = _run(["nlu", "evaluate", "--model", str(shipped), "--out", str(out)],
                  cli_env(tmp / "evaluate-var"))
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@dataclass
class Trained:
    """The worse candidate and how its training went."""

    root: Path
    model: Path
    model_dir: Path
    var_dir: Path
    result: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def candidate(tmp: Path) -> Trained:
    """``nlu train`` on a copy of the data keeping two examples per intent and language."""
    root = copy_project(tmp / "worse")
    for path in sorted((root / "nlu" / "data").glob("*/*.yml")):
        nlu_file = nlu_yaml.parse(path.read_text(encoding="utf-8"))
        for block in nlu_file.blocks:
            block.examples = sorted(block.examples, key=nlu_yaml.sort_key)[:2]
        path.write_text(nlu_yaml.render(nlu_file), encoding="utf-8")
    var_dir = tmp / "worse-var"
    env = cli_env(var_dir)
    result = _run(["nlu", "train", "--root", str(root)], env)
    assert result.returncode == 0, result.stderr[-3000:]
    model_dir = Path(env["EMERGEBOT_MODEL_DIR"])
    model = modelfiles.model_path(model_dir, modelfiles.fingerprint(root))
    return Trained(root, model, model_dir, var_dir, result)


@dataclass
class RasaServer:
    url: str
    child: supervisor.Child

    def running(self) -> str:
        with urllib.request.urlopen(f"{self.url}/status?token={TOKEN}", timeout=10) as r:
            return str(json.loads(r.read())["model_file"])


@pytest.fixture(scope="module")
def rasa(tmp: Path, shipped: Path) -> Iterator[RasaServer]:
    """One Rasa server (HTTP API on, token required) running the shipped model."""
    var_dir = tmp / "rasa-var"
    env = {**cli_env(var_dir), "RASA_PORT": str(_free_port()), "RASA_TOKEN": TOKEN,
           "ACTION_PORT": str(_free_port())}
    settings = Settings.from_env(env)
    child = next(c for c in supervisor.plan(settings, shipped, local_chat=False)
                 if c.name.startswith("rasa server"))
    supervisor.start(child, supervisor.stack_environment(settings, TOKEN) | env, var_dir / "logs")
    try:
        supervisor.wait_ready([child])
        yield RasaServer(settings.rasa_url, child)
    finally:
        supervisor.stop([child])


@dataclass
class Workspace:
    model_dir: Path
    var_dir: Path
    env: dict[str, str]
    live: str
    candidate: str

    def registry_bytes(self) -> bytes:
        return (self.model_dir / "registry.json").read_bytes()


@pytest.fixture
def workspace(tmp_path: Path, shipped: Path, shipped_report: tuple[Path, object],
              candidate: Trained, rasa: RasaServer) -> Workspace:
    """A model directory whose registry has the shipped model live and the worse candidate,
    with both reports in place (as ``nlu train`` leaves them)."""
    model_dir, var_dir = tmp_path / "models", tmp_path / "var"
    registry = Registry(model_dir)
    worse = candidate.model.name.removesuffix(".tar.gz")
    for model, report_dir in ((shipped, shipped_report[0]),
                              (candidate.model, candidate.var_dir / "reports" / worse)):
        name = model.name.removesuffix(".tar.gz")
        model_dir.mkdir(exist_ok=True)
        shutil.copy(model, model_dir / model.name)
        shutil.copytree(report_dir, var_dir / "reports" / name)
        report = json.loads((report_dir / "report.json").read_text())
        registry.register(name, {"file": model.name, "sha256": file_sha256(model),
                                 "created": now(),
                                 "metrics": summary(report)})
    registry.save()
    env = {**cli_env(var_dir), "EMERGEBOT_MODEL_DIR": str(model_dir), "RASA_TOKEN": TOKEN,
           "RASA_PORT": rasa.url.rsplit(":", 1)[1]}
    assert rasa.running() == shipped.name
    return Workspace(model_dir, var_dir, env, shipped.name.removesuffix(".tar.gz"),
                     candidate.model.name.removesuffix(".tar.gz"))


def test_train_shows_progress_and_registers_the_model(candidate: Trained) -> None:
    err = candidate.result.stderr
    for step in ("nlu train [", "training data checked", "CalibratedIntentClassifier",
                 "model packaged", "evaluated"):
        assert step in err, err
    assert candidate.model.is_file()  # named by the hash of the data and config
    registry = Registry(candidate.model_dir)
    entry = registry.models[candidate.model.name.removesuffix(".tar.gz")]
    assert entry["status"] == "live"  # the first model of a registry
    assert entry["sha256"] == file_sha256(candidate.model)
    assert set(entry["metrics"]["languages"]) == set(SUPPORTED_LANGUAGES)
    assert entry["components"] >= 4
    assert f"held-out accuracy {entry['metrics']['overall']['intent_accuracy']:.3f}" in err
    assert list((candidate.var_dir / "logs").glob("train-emergebot-*.log"))
    again = _run(["nlu", "train", "--if-changed", "--root", str(candidate.root)],
                 cli_env(candidate.var_dir))
    assert again.returncode == 0 and "model up to date" in again.stderr


def test_train_refuses_malformed_data_and_trains_nothing(project_copy: Path,
                                                         tmp_path: Path) -> None:
    path = project_copy / "nlu" / "data" / "ru" / "events.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("  examples: |", "  examples: |\n"
                                                             "\tbad tab", 1), encoding="utf-8")
    env = cli_env(tmp_path / "var")
    result = _run(["nlu", "train", "--root", str(project_copy)], env)
    assert result.returncode == 1
    assert "nlu/data/ru/events.yml:5: not valid YAML" in result.stderr
    assert "nothing was trained" in result.stderr
    assert not list(Path(env["EMERGEBOT_MODEL_DIR"]).glob("*.tar.gz"))
    assert not (Path(env["EMERGEBOT_MODEL_DIR"]) / "registry.json").exists()


def test_evaluate_writes_markdown_json_and_plots(shipped: Path,
                                                 shipped_report: tuple[Path, object]) -> None:
    out, result = shipped_report
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == shipped.name
    assert set(report["languages"]) == set(SUPPORTED_LANGUAGES)
    heldout_out_of_scope = Counter(language for language, message in load_heldout()
                                   if message.get("intent") == "out_of_scope")
    for language, figures in report["languages"].items():
        assert {"intent_accuracy", "intent_macro_f1", "entity_precision", "entity_recall",
                "out_of_scope_recall", "intents"} <= set(figures)
        assert figures["intents"]["out_of_scope"]["examples"] == heldout_out_of_scope[language]
    plots = {f"confusion-{lang}.png" for lang in SUPPORTED_LANGUAGES} | {
        "f1-by-language.png", "confidence-histogram.png"}
    assert set(report["plots"]) == plots
    for name in plots:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "report.md").read_text()
    english = sum(1 for language, _ in load_heldout() if language == "en")
    assert f"| en | {english} |" in markdown
    assert "![f1-by-language.png](f1-by-language.png)" in markdown
    funding = sum(1 for _, message in load_heldout() if message.get("intent") == "ask_funding")
    assert f"| ask_funding | {funding} |" in markdown
    assert markdown in result.stdout  # type: ignore[attr-defined]


def test_evaluate_names_a_missing_or_corrupt_model(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    missing = _run(["nlu", "evaluate", "--model", str(tmp_path / "nope.tar.gz")], env)
    assert missing.returncode == 1
    assert f"{tmp_path / 'nope.tar.gz'}: model file missing" in missing.stderr
    corrupt = tmp_path / "emergebot-000000000000.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b not really gzip")
    result = _run(["nlu", "evaluate", "--model", str(corrupt)], env)
    assert result.returncode == 1 and f"{corrupt}: corrupt" in result.stderr


def test_promote_refuses_a_worse_model(workspace: Workspace, rasa: RasaServer) -> None:
    before = workspace.registry_bytes()
    result = _run(["nlu", "promote"], workspace.env)
    assert result.returncode == 1
    assert "LOSS language" in result.stdout
    assert "refused:" in result.stderr and "nothing was changed" in result.stderr
    assert workspace.registry_bytes() == before
    assert rasa.running() == f"{workspace.live}.tar.gz"


class Founders(threading.Thread):
    """Keeps asking the server to parse messages, as the adapter would during a swap."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.halt, self.answers, self.failures = url, threading.Event(), 0, 0

    def run(self) -> None:
        while not self.halt.is_set():
            request = urllib.request.Request(
                f"{self.url}/model/parse?token={TOKEN}", data=b'{"text": "any grants?"}',
                headers={"Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    self.answers += response.status == 200
            except OSError:
                self.failures += 1


def test_forced_promotion_hot_swaps_is_recorded_and_rolls_back(workspace: Workspace,
                                                               rasa: RasaServer) -> None:
    founders = Founders(rasa.url)
    founders.start()
    try:
        result = _run(["nlu", "promote", "--force", "--reason", "lifecycle test"], workspace.env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert rasa.running() == f"{workspace.candidate}.tar.gz"
        back = _run(["nlu", "rollback"], workspace.env)
        assert back.returncode == 0, back.stderr[-3000:]
        assert rasa.running() == f"{workspace.live}.tar.gz"
    finally:
        founders.halt.set()
        founders.join(120)
    print(result.stdout, back.stdout)
    assert founders.failures == 0 and founders.answers > 0  # no request was dropped
    registry = Registry(workspace.model_dir)
    promoted, rolled_back = registry.history[-2:]
    assert (promoted["action"], promoted["model"], promoted["forced"]) == (
        "promote", workspace.candidate, True)
    assert promoted["reason"] == "lifecycle test" and promoted["regressions"]
    [swap] = promoted["servers"]
    assert swap["url"] == rasa.url and swap["failed"] == 0
    # Founders wait while the model loads and for the new model's first parse (lazy set-up).
    assert swap["load_s"] > 0.1 and 0.1 < swap["pause_s"] < 60
    assert f"requests waited up to {swap['pause_s']:.2f} s" in result.stdout
    assert (rolled_back["action"], rolled_back["model"]) == ("rollback", workspace.live)
    assert registry.live_name == workspace.live
    assert registry.models[workspace.candidate]["status"] == "retired"
    listing = _run(["nlu", "models"], workspace.env).stdout
    assert f"* live       {workspace.live}" in listing
    assert f"promote FORCED {workspace.candidate}" in listing and "lifecycle test" in listing


def test_promote_with_a_server_down_changes_nothing(workspace: Workspace,
                                                    rasa: RasaServer) -> None:
    before = workspace.registry_bytes()
    dead = f"http://127.0.0.1:{_free_port()}"
    result = _run(["nlu", "promote", "--force", "--rasa-url", rasa.url, "--rasa-url", dead],
                  workspace.env)
    assert result.returncode == 1
    assert f"Rasa at {dead} is not answering" in result.stderr
    assert workspace.registry_bytes() == before
    assert rasa.running() == f"{workspace.live}.tar.gz"


def test_promote_with_a_corrupt_candidate_changes_nothing(workspace: Workspace,
                                                          rasa: RasaServer) -> None:
    before = workspace.registry_bytes()
    path = workspace.model_dir / f"{workspace.candidate}.tar.gz"
    path.write_bytes(path.read_bytes()[:1000])
    result = _run(["nlu", "promote", "--force"], workspace.env)
    assert result.returncode == 1
    assert f"{path}: corrupt" in result.stderr
    assert workspace.registry_bytes() == before
    assert rasa.running() == f"{workspace.live}.tar.gz"
    nothing = _run(["nlu", "rollback"], workspace.env)
    assert nothing.returncode == 1 and "nothing to roll back to" in nothing.stderr
