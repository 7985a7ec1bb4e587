"""Rewrite Rasa NLU training files deterministically: examples sorted, one blank line between
blocks, the header and comments kept.

A training file is ``version`` and comments, then ``nlu:`` and a list of blocks. Intent blocks
(``- intent: x`` with ``examples: |``) are rewritten with their examples sorted by their text
(entity markup aside, case folded) and exact duplicates dropped; other blocks (synonyms,
lookups, regexes) are kept as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from emergebot.near_duplicates import strip_entity_markup

NEW_FILE_HEADER = 'version: "3.1"\nnlu:\n'
EXAMPLE_INDENT = "    - "
_INTENT = re.compile(r"^- intent:\s*(?P<name>[^\s#]+)")
_EXAMPLES = re.compile(r"^(?P<indent>\s+)examples:\s*\|[-+]?\s*$")


class LayoutError(ValueError):
    """A training file laid out in a way this module does not rewrite."""


@dataclass
class Block:
    """One item of the ``nlu:`` list."""

    head: list[str]  # from "- intent: ..." to "examples: |" included (or the whole block)
    intent: str | None = None
    examples: list[str] = field(default_factory=list)  # example texts, without "- "
    tail: list[str] = field(default_factory=list)  # lines after the examples


@dataclass
class NLUFile:
    """A training file split into header, blocks and trailer."""

    header: list[str]
    blocks: list[Block]
    trailer: list[str] = field(default_factory=list)

    def block(self, intent: str) -> Block | None:
        """The block of an intent, if the file has one."""
        return next((b for b in self.blocks if b.intent == intent), None)


def sort_key(example: str) -> tuple[str, str]:
    """Examples are sorted by what the founder typed, case folded, then by their markup."""
    return (strip_entity_markup(example).casefold(), example)


def parse(content: str, name: str = "file") -> NLUFile:
    """Split a training file into its parts.

    Raises:
        LayoutError: there is no top-level ``nlu:`` line.
    """
    lines = content.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"^nlu:\s*(#.*)?$", line))
    except StopIteration:
        raise LayoutError(f"{name}: no top-level 'nlu:' line") from None
    header, rest = lines[: start + 1], lines[start + 1 :]
    nlu_file = NLUFile(header, [])
    current: list[str] | None = None
    chunks: list[list[str]] = []
    for index, line in enumerate(rest):
        if line.startswith("- "):
            current = [line]
            chunks.append(current)
        elif line and not line[0].isspace() and not line.startswith("#"):
            nlu_file.trailer = rest[index:]
            break
        elif current is None:
            if line.strip():
                nlu_file.header.append(line)
        else:
            current.append(line)
    nlu_file.blocks = [_block(chunk) for chunk in chunks]
    return nlu_file


def _block(lines: list[str]) -> Block:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    match = _INTENT.match(lines[0])
    examples_at = next((i for i, line in enumerate(lines) if _EXAMPLES.match(line)), None)
    if match is None or examples_at is None:
        return Block(head=lines)
    block = Block(head=lines[: examples_at + 1], intent=match.group("name"))
    key_indent = len(_EXAMPLES.match(lines[examples_at]).group("indent"))  # type: ignore[union-attr]
    index = examples_at + 1
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped and len(line) - len(line.lstrip()) <= key_indent:
            break
        if stripped.startswith("- "):
            block.examples.append(stripped[2:].strip())
        elif stripped:
            raise LayoutError(f"intent {block.intent}: example line without '- ': {stripped!r}")
        index += 1
    block.tail = [line for line in lines[index:] if line.strip()]
    return block


def render(nlu_file: NLUFile) -> str:
    """The file in canonical form."""
    out = list(nlu_file.header)
    for block in nlu_file.blocks:
        out += block.head
        if block.intent is not None:
            unique = sorted(set(block.examples), key=sort_key)
            out += [EXAMPLE_INDENT + example for example in unique]
            out += block.tail
        out.append("")
    if nlu_file.trailer:
        out += nlu_file.trailer
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"


def add_example(content: str, intent: str, example: str, name: str = "file") -> str:
    """``content`` with ``example`` added to the intent's block (made if missing), canonical."""
    nlu_file = parse(content or NEW_FILE_HEADER, name)
    block = nlu_file.block(intent)
    if block is None:
        block = Block(head=[f"- intent: {intent}", "  examples: |"], intent=intent)
        nlu_file.blocks.append(block)
    block.examples.append(example)
    return render(nlu_file)


def annotated(text: str, entities: list[tuple[int, int, str, str]]) -> str:
    """An example line in Rasa's markup: ``[span]{"entity": e, "value": v}`` for each entity.

    Args:
        text: the message; whitespace is collapsed, and square brackets outside entities become
            round ones, so that they cannot be read as markup.
        entities: ``(start, end, entity, value)`` over ``text``, not overlapping.
    """
    parts, cursor = [], 0
    for start, end, entity, value in sorted(entities):
        if start < cursor:
            raise ValueError(f"entities overlap at {text[start:end]!r}")
        parts.append(_plain(text[cursor:start]))
        markup = json.dumps({"entity": entity, "value": value}, ensure_ascii=False)
        parts.append(f"[{_plain(text[start:end])}]{markup}")
        cursor = end
    parts.append(_plain(text[cursor:]))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _plain(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")
