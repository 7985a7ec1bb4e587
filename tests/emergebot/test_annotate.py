"""``nlu annotate`` with piped input: labels land sorted in the right training file, valid for
Rasa; bad input is refused with a message naming it; labelled and ignored items leave the
inbox. Runs on a copy of the project's data."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from emergebot import modelfiles, nlu_yaml
from emergebot.review_decisions import ReviewDecisions
from hubdata.settings import PROJECT_ROOT
from tests.emergebot import trackers as t
from tests.emergebot.conftest import EMERGEBOT, cli_env

FARM = "Any money for my farm app in Kenya?"
NARNIA = "what is the capital of Narnia"
INCUBATOR = "help me find an incubator in Accra"
HELDOUT = "hello hello, just joined the channel from Lusaka"  # in tests/nlu/heldout/en.yml
SPAM = "bla bla spam"


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """A var/ with a tracker store of five unsure messages (in inbox order)."""
    var = tmp_path / "var"
    var.mkdir()
    farm = [("ask_funding", 0.5), ("ask_training", 0.3)]
    t.write(var / "tracker.db", {
        "1": [t.user(FARM, farm), t.user(NARNIA, [("out_of_scope", 0.35), ("ask_hubs", 0.2)])],
        "2": [t.user(FARM, farm), t.user(NARNIA, [("out_of_scope", 0.3), ("ask_hubs", 0.2)])],
        "3": [t.user(FARM, farm), t.user(INCUBATOR, [("ask_hubs", 0.5), ("ask_training", 0.2)]),
              t.user(HELDOUT, [("greet", 0.55), ("help", 0.2)]),
              t.user(SPAM, [("thank", 0.3), ("greet", 0.1)])],
    })
    return var


def _annotate(root: Path, var: Path, answers: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([EMERGEBOT, "nlu", "annotate", "--root", str(root)],
                          input="".join(a + "\n" for a in answers), env=cli_env(var),
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def _digest(directory: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(directory.rglob("*.yml")))
                          ).hexdigest()


def test_labelling_session(project_copy: Path, var_dir: Path) -> None:
    real_data = _digest(PROJECT_ROOT / "nlu" / "data")
    before = modelfiles.fingerprint(project_copy)
    result = _annotate(project_copy, var_dir, [
        "ask_visa",  # FARM: not an intent of the domain
        "1",  # -> ask_funding; the lexicon found farm=agritech, Kenya=KE
        "Narnia = country",  # not in the message
        "-farm",
        "farm app = sector",  # normalised by the lexicon: agritech
        "",  # write
        "o", "",  # NARNIA: out of scope, no entities
        "s",  # INCUBATOR: skipped
        "1", "",  # HELDOUT: greet, but it is a held-out example
        "i",  # SPAM: ignored
    ])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "unknown intent 'ask_visa'" in out
    assert "'Narnia' is not in the message" in out
    assert "entities: [farm] sector=agritech · [Kenya] country=KE" in out
    assert "same as the held-out example 'hello hello, just joined the channel from Lusaka'" in out
    assert "2 labelled, 2 ignored, 1 skipped" in out

    funding = project_copy / "nlu" / "data" / "en" / "funding.yml"
    line = ('Any money for my [farm app]{"entity": "sector", "value": "agritech"} in '
            '[Kenya]{"entity": "country", "value": "KE"}?')
    block = nlu_yaml.parse(funding.read_text(encoding="utf-8")).block("ask_funding")
    assert block is not None and line in block.examples
    assert block.examples == sorted(block.examples, key=nlu_yaml.sort_key)
    message = next(m for m in load_data(str(funding)).intent_examples if m.get("text") == FARM)
    assert message.get("intent") == "ask_funding"
    assert {(e["entity"], e["value"]) for e in message.get("entities")} == {
        ("sector", "agritech"), ("country", "KE")}
    oos = load_data(str(project_copy / "nlu" / "data" / "en" / "out_of_scope.yml"))
    assert NARNIA in [m.get("text") for m in oos.intent_examples]
    chitchat = (project_copy / "nlu" / "data" / "en" / "chitchat.yml").read_text()
    assert HELDOUT not in chitchat
    assert modelfiles.fingerprint(project_copy) != before
    assert _digest(PROJECT_ROOT / "nlu" / "data") == real_data

    state = ReviewDecisions(var_dir / "nlu-inbox.json")
    assert sorted(e["status"] for e in state.items.values()) == [
        "ignored", "ignored", "labelled", "labelled"]
    inbox = subprocess.run([EMERGEBOT, "nlu", "inbox", "--json"], env=cli_env(var_dir),
                           cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert [json.loads(x)["text"] for x in inbox.stdout.splitlines()] == [INCUBATOR]


def test_end_of_input_keeps_what_was_labelled(project_copy: Path, var_dir: Path) -> None:
    result = _annotate(project_copy, var_dir, ["2", ""])  # FARM as ask_training, then EOF
    assert result.returncode == 0, result.stderr
    assert "stopped; what was labelled is saved" in result.stdout
    training = load_data(str(project_copy / "nlu" / "data" / "en" / "training.yml"))
    assert FARM in [m.get("text") for m in training.intent_examples]
    assert len(ReviewDecisions(var_dir / "nlu-inbox.json").items) == 1


def test_refuses_to_start_on_malformed_training_data(project_copy: Path, var_dir: Path) -> None:
    path = project_copy / "nlu" / "data" / "es" / "hubs.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("- intent:", "- intent: [", 1),
                    encoding="utf-8")
    result = _annotate(project_copy, var_dir, ["1", ""])
    assert result.returncode == 1
    assert ("nlu/data/es/hubs.yml:4: not valid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence on line 3)") in result.stderr
    assert not (var_dir / "nlu-inbox.json").exists()
