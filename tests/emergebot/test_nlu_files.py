"""Training files: deterministic rewrites Rasa accepts, and checks naming file and line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from emergebot import nlu_yaml
from emergebot.nlu_data import Project, check
from hubdata.settings import PROJECT_ROOT
from tests.emergebot.conftest import EMERGEBOT, cli_env

FILE = """\
# Funding questions.
# Keep this comment.
version: "3.1"
nlu:
- intent: ask_funding
  examples: |
    - where is the money
    - [grants]{"entity": "funding_type", "value": "grant"} please
    - Any loans?

- synonym: grant
  examples: |
    - grants
"""


def test_add_example_sorts_the_block_and_keeps_the_rest() -> None:
    out = nlu_yaml.add_example(FILE, "ask_funding", "Bursaries for [Kenya]{\"entity\": "
                               "\"country\", \"value\": \"KE\"}?")
    assert out.startswith("# Funding questions.\n# Keep this comment.\nversion: \"3.1\"\nnlu:\n")
    assert out.splitlines()[6:10] == [
        "    - Any loans?",
        '    - Bursaries for [Kenya]{"entity": "country", "value": "KE"}?',
        '    - [grants]{"entity": "funding_type", "value": "grant"} please',
        "    - where is the money",
    ]
    assert "- synonym: grant\n  examples: |\n    - grants\n" in out
    data = RasaYAMLReader().reads(out)
    assert len(data.intent_examples) == 4
    assert nlu_yaml.add_example(out, "ask_funding", "Any loans?") == out  # no duplicate
    assert nlu_yaml.render(nlu_yaml.parse(out)) == out  # canonical: stable


def test_add_example_creates_the_block_or_the_file() -> None:
    out = nlu_yaml.add_example(FILE, "ask_mentor", "need a mentor")
    assert "- intent: ask_mentor\n  examples: |\n    - need a mentor\n" in out
    new = nlu_yaml.add_example("", "out_of_scope", "what's the weather")
    assert new == ('version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n'
                   "    - what's the weather\n")
    assert len(RasaYAMLReader().reads(new).intent_examples) == 1


def test_annotated_marks_entities_and_neutralises_brackets() -> None:
    text = "grants [urgent] in Kenya"
    line = nlu_yaml.annotated(text, [(19, 24, "country", "KE"), (0, 6, "funding_type", "grant")])
    assert line == ('[grants]{"entity": "funding_type", "value": "grant"} (urgent) in '
                    '[Kenya]{"entity": "country", "value": "KE"}')
    message = RasaYAMLReader().reads(nlu_yaml.add_example("", "ask_funding", line)
                                     ).intent_examples[0]
    assert message.get("text") == "grants (urgent) in Kenya"
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("funding_type", "grant"), ("country", "KE")]
    with pytest.raises(ValueError, match="overlap"):
        nlu_yaml.annotated(text, [(0, 6, "funding_type", "grant"), (3, 8, "sector", "x")])


def test_the_training_data_is_valid_and_canonical() -> None:
    project = Project(PROJECT_ROOT)
    assert check(project) == []
    unsorted = [project.relative(p) for p in project.training_files()
                if nlu_yaml.render(nlu_yaml.parse(p.read_text(encoding="utf-8")))
                != p.read_text(encoding="utf-8")]
    assert not unsorted, f"run `emergebot nlu format`: {unsorted}"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    shutil.copytree(PROJECT_ROOT / "nlu", tmp_path / "nlu",
                    ignore=shutil.ignore_patterns("__pycache__", "*.py", "components"))
    shutil.copytree(PROJECT_ROOT / "stories", tmp_path / "stories")
    return Project(tmp_path)


def test_malformed_yaml_is_reported_with_file_and_line(project: Project) -> None:
    path = project.data_dir / "fr" / "funding.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[2].startswith("- intent: ")
    lines[2] += ": oops"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [error] = check(project)
    assert error.path == path and error.line == 3
    assert str(error).startswith("nlu/data/fr/funding.yml:3: not valid YAML: mapping values "
                                 "are not allowed")


def test_unknown_intents_and_entities_are_reported_with_lines(project: Project) -> None:
    path = project.data_dir / "en" / "help.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: help\n  examples: |\n    - help\n'
                    '    - [Kenya]{"entity": "place", "value": "KE"} help\n'
                    '    no dash here\n\n- intent: ask_visa\n  examples: |\n    - visa?\n',
                    encoding="utf-8")
    assert [(e.line, e.message) for e in check(project)] == [
        (6, "unknown entity 'place'"),
        (7, "an example must start with '- ': 'no dash here'"),
        (9, 'intent "ask_visa" is not in nlu/domain.yml'),
    ]
    assert str(check(project)[-1]) == (
        'nlu/data/en/help.yml:9: intent "ask_visa" is not in nlu/domain.yml')


def test_unknown_intents_in_stories_and_rules_are_reported(project: Project) -> None:
    path = project.root / "stories" / "rules.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.strip() == "- intent: greet")
    lines[number] = lines[number].replace("greet", "greeet")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert [str(e) for e in check(project)] == [
        f'stories/rules.yml:{number + 1}: intent "greeet" is not in nlu/domain.yml']


def test_train_refuses_an_intent_the_domain_does_not_list(project_copy: Path,
                                                          tmp_path: Path) -> None:
    """``nlu train`` (which ``make model`` runs) stops before Rasa, naming file and line."""
    path = project_copy / "nlu" / "data" / "fr" / "funding.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line == "- intent: ask_funding")
    lines[number] = "- intent: ask_fundng"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    var = tmp_path / "var"
    result = subprocess.run([EMERGEBOT, "nlu", "train", "--if-changed", "--root",
                             str(project_copy)], env=cli_env(var), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1
    assert (f'nlu/data/fr/funding.yml:{number + 1}: intent "ask_fundng" is not in '
            "nlu/domain.yml") in result.stderr
    assert "nothing was trained" in result.stderr
    assert not list((var / "models").glob("*.tar.gz")) and not (var / "logs").exists()


def test_intent_files_follow_the_concerns(project: Project) -> None:
    assert project.file_for("fr", "ask_funding") == project.data_dir / "fr" / "funding.yml"
    assert project.file_for("zh", "thank") == project.data_dir / "zh" / "chitchat.yml"
    (project.data_dir / "pt" / "mentors.yml").unlink()
    assert project.file_for("pt", "ask_mentor") == project.data_dir / "pt" / "mentors.yml"
