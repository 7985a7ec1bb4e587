"""``emergebot nlu parse``: run the trained NLU over JSON lines, without starting servers."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from hubdata import langid


def summarise(text: str, parse: dict[str, Any]) -> dict[str, Any]:
    """The parse command's output record for one message."""
    intent = parse.get("intent") or {}
    entities: dict[str, Any] = {}
    for entity in parse.get("entities") or []:
        entities.setdefault(entity.get("entity"), entity.get("value"))
    language = (parse.get("language") or {}).get("code") or langid.guess(text)
    return {
        "text": text,
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "entities": entities,
        "language": language,
    }


def read_lines(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, record) or (line number, error message) for each non-empty line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"line {number}: not JSON ({error.msg})"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield number, f'line {number}: expected an object with a "text" string'
            continue
        yield number, record


def quiet_rasa() -> None:
    """Keep Rasa's logs (structlog debug lines included) off stdout, which carries results."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)


async def _parse_all(model: Path, stream: Iterable[str], out: TextIO) -> int:
    from rasa.core.agent import Agent

    quiet_rasa()
    agent = Agent.load(str(model))
    errors = 0
    for _number, item in read_lines(stream):
        if isinstance(item, str):
            print(item, file=sys.stderr)
            errors += 1
            continue
        text = item["text"]
        parse = await agent.parse_message(text)
        out.write(json.dumps(summarise(text, parse), ensure_ascii=False) + "\n")
        out.flush()
    return errors


def parse(model: Path, stream: Iterable[str], out: TextIO = sys.stdout) -> int:
    """Parse every line; return the number of bad input lines (reported on stderr)."""
    return asyncio.run(_parse_all(model, stream, out))
