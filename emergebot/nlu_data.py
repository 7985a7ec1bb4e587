"""The NLU training data of a project directory: where each example goes, and checks that name
the file and line of every problem (before Rasa sees the data).

Layout: ``nlu/domain.yml`` (intents, entities), ``nlu/data/<lang>/<concern>.yml`` (examples),
``tests/nlu/heldout/<lang>.yml`` (the held-out split, never trained on), ``stories/``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from emergebot import nlu_yaml

# Intents Rasa adds to every domain (rasa.shared.core.constants.DEFAULT_INTENTS): stories may
# use them although nlu/domain.yml does not list them.
RASA_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
_MARKUP_JSON = re.compile(r"\[[^\[\]]*\]\{([^{}]*)\}")
_MARKUP_PAREN = re.compile(r"\[[^\[\]]*\]\(([^()]*)\)")


@dataclass(frozen=True)
class DataError:
    """A problem in a data file, with its place."""

    path: Path
    line: int | None
    message: str
    root: Path | None = field(default=None, compare=False)  # paths are shown relative to it

    def __str__(self) -> str:
        shown = str(self.path)
        if self.root is not None and self.path.is_relative_to(self.root):
            shown = self.path.relative_to(self.root).as_posix()
        where = f"{shown}:{self.line}" if self.line else shown
        return f"{where}: {self.message}"


class DataErrors(Exception):
    """The data has problems; ``errors`` says where."""

    def __init__(self, errors: list[DataError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Project:
    """The files of one project directory (the repository, or a copy of it in tests)."""

    root: Path

    @property
    def data_dir(self) -> Path:
        """``nlu/data``."""
        return self.root / "nlu" / "data"

    @property
    def domain_file(self) -> Path:
        """``nlu/domain.yml``."""
        return self.root / "nlu" / "domain.yml"

    @property
    def heldout_dir(self) -> Path:
        """``tests/nlu/heldout``."""
        return self.root / "tests" / "nlu" / "heldout"

    def training_files(self) -> list[Path]:
        """Every training file, sorted."""
        return sorted(self.data_dir.glob("*/*.yml"))

    def domain(self) -> dict[str, Any]:
        """The domain, parsed."""
        return yaml.safe_load(self.domain_file.read_text(encoding="utf-8")) or {}

    def intents(self) -> frozenset[str]:
        """The intents of the domain."""
        return frozenset(str(i) if not isinstance(i, dict) else next(iter(i))
                         for i in self.domain().get("intents") or [])

    def entities(self) -> frozenset[str]:
        """The entities of the domain."""
        return frozenset(str(e) if not isinstance(e, dict) else next(iter(e))
                         for e in self.domain().get("entities") or [])

    def relative(self, path: Path) -> str:
        """A path relative to the project root, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def file_for(self, language: str, intent: str) -> Path:
        """The training file an example of ``intent`` in ``language`` belongs in.

        The file of that language that already holds the intent; else the concern file the
        other languages keep it in; else a file named after the intent.
        """
        stems: Counter[str] = Counter()
        for path in self.training_files():
            blocks = nlu_yaml.parse(path.read_text(encoding="utf-8"), str(path)).blocks
            if any(b.intent == intent for b in blocks):
                if path.parent.name == language:
                    return path
                stems[path.stem] += 1
        stem = stems.most_common(1)[0][0] if stems else intent.removeprefix("ask_")
        return self.data_dir / language / f"{stem}.yml"

    def heldout_texts(self, language: str) -> list[str]:
        """The held-out examples of a language (markup included)."""
        path = self.heldout_dir / f"{language}.yml"
        if not path.exists():
            return []
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [line.strip()[2:] for item in data.get("nlu") or [] if "examples" in item
                for line in str(item["examples"]).splitlines() if line.strip().startswith("- ")]


def check(project: Project) -> list[DataError]:
    """Every problem in the YAML files that training reads: syntax, unknown intents and
    entities, example lines without ``- ``, files that cannot be rewritten."""
    errors: list[DataError] = []
    others = sorted((project.root / "nlu").glob("*.yml")) + sorted(
        (project.root / "stories").glob("*.yml"))
    for path in others:
        errors += _syntax(path)
    if any(e.path == project.domain_file for e in errors):
        return errors
    intents, entities = project.intents(), project.entities()
    domain = project.relative(project.domain_file)
    for path in project.training_files():
        errors += _check_training_file(path, intents, entities, domain)
    for path in sorted((project.root / "stories").glob("*.yml")):
        errors += _check_story_intents(path, intents, domain)
    return [replace(e, root=project.root) for e in errors]


def require_valid(project: Project) -> None:
    """Raise DataErrors when ``check`` finds anything."""
    errors = check(project)
    if errors:
        raise DataErrors(errors)


def _syntax(path: Path) -> list[DataError]:
    try:
        yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"not valid YAML: {error.problem or error.context}"
        if error.context and error.context_mark and error.context_mark is not mark:
            message += f" ({error.context} on line {error.context_mark.line + 1})"
        return [DataError(path, mark.line + 1 if mark else None, message)]
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return [DataError(path, None, f"not valid YAML: {error}")]
    return []


def _unknown_intent(path: Path, line: int, intent: str, domain: str) -> DataError:
    return DataError(path, line, f'intent "{intent}" is not in {domain}')


def _check_story_intents(path: Path, intents: frozenset[str], domain: str) -> list[DataError]:
    """Unknown intents in the steps of stories and rules (``- intent: x``, ``or:`` too)."""
    if _syntax(path):
        return []  # reported by check
    errors, todo = [], [yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if (key.value == "intent" and isinstance(value, yaml.ScalarNode)
                        and value.value not in intents | RASA_INTENTS):
                    errors.append(_unknown_intent(path, key.start_mark.line + 1, value.value,
                                                  domain))
                todo.append(value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return sorted(errors, key=lambda e: e.line or 0)


def _check_training_file(path: Path, intents: frozenset[str],
                         entities: frozenset[str], domain: str) -> list[DataError]:
    errors = _syntax(path)
    if errors:
        return errors
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    items = _mapping(root).get("nlu")
    if not isinstance(items, yaml.SequenceNode):
        return [DataError(path, 1, "needs a top-level 'nlu:' list")]
    for item in items.value:
        fields = _mapping(item)
        line = item.start_mark.line + 1
        if "intent" not in fields:
            continue
        intent = fields["intent"].value
        if intent not in intents:
            errors.append(_unknown_intent(path, line, intent, domain))
        examples = fields.get("examples")
        if not isinstance(examples, yaml.ScalarNode):
            errors.append(DataError(path, line, f"intent {intent!r} has no 'examples: |' text"))
            continue
        first = examples.start_mark.line + 2
        for offset, example in enumerate(str(examples.value).splitlines()):
            errors += _check_example(path, first + offset, example.strip(), entities)
    if not errors:
        try:
            nlu_yaml.parse(text, str(path))
        except nlu_yaml.LayoutError as error:
            errors.append(DataError(path, None, str(error)))
    return errors


def _check_example(path: Path, line: int, example: str,
                   entities: frozenset[str]) -> list[DataError]:
    if not example:
        return []
    if not example.startswith("- "):
        return [DataError(path, line, f"an example must start with '- ': {example!r}")]
    errors = []
    for markup in _MARKUP_JSON.findall(example):
        try:
            entity = json.loads("{" + markup + "}").get("entity")
        except json.JSONDecodeError:
            errors.append(DataError(path, line, f"entity markup is not JSON: {{{markup}}}"))
            continue
        if entity not in entities:
            errors.append(DataError(path, line, f"unknown entity {entity!r}"))
    for markup in _MARKUP_PAREN.findall(example):
        if markup.split(":")[0] not in entities:
            errors.append(DataError(path, line, f"unknown entity {markup.split(':')[0]!r}"))
    return errors


def _mapping(node: Any) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def write_atomically(path: Path, content: str) -> None:
    """Replace a file's content in one step (a crash leaves the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, path)


def validate_with_rasa(content: str, name: str) -> None:
    """Check a training file the way Rasa will read it.

    Raises:
        ValueError: Rasa rejects it (the message names the file).
    """
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    try:
        RasaYAMLReader().reads(content)
    except Exception as error:  # noqa: BLE001 - Rasa raises several kinds
        raise ValueError(f"{name}: Rasa would not read the result: {error}") from error
