"""The conversation before the handoff, read from Rasa's tracker (as its HTTP API returns it).

Founder turns are kept verbatim; button payloads ("/ask_funding{...}") become the intent's
name; bot turns carry message ids, which the caller renders in the founder's language.
Messages relayed during a handoff (marked ``desk_ticket``) are skipped: the ticket has them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

MAX_LINES = 30
ESCAPE = "\u2060"  # the adapter's marker in front of typed text that starts with "/"

Render = Callable[[str, Mapping[str, Any] | None], str]


@dataclass(frozen=True)
class Line:
    """One turn: who ("founder" or "bot"), what, and when."""

    author: str
    text: str
    at: datetime | None = None


def _when(event: Mapping[str, Any]) -> datetime | None:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(float(stamp), timezone.utc) if stamp else None


def _founder_text(event: Mapping[str, Any]) -> str:
    text = str(event.get("text") or "")
    if text.startswith("/"):  # a button: show what it asked for
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        return f"[{intent or text[1:].split('{')[0]}]"
    return text.replace(ESCAPE, "", 1)


def _bot_text(event: Mapping[str, Any], render: Render) -> str:
    data = event.get("data") or {}
    custom = data.get("custom") if isinstance(data, Mapping) else None
    if isinstance(custom, Mapping) and custom.get("msgid"):
        return render(str(custom["msgid"]), custom.get("params"))
    return str(event.get("text") or "")


def from_tracker(events: Iterable[Mapping[str, Any]], render: Render, *,
                 since: datetime | None = None, limit: int = MAX_LINES) -> list[Line]:
    """The last ``limit`` founder and bot turns (after ``since``, if given)."""
    lines: list[Line] = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        if (event.get("metadata") or {}).get("desk_ticket") is not None:
            continue
        at = _when(event)
        if since is not None and at is not None and at <= since:
            continue
        text = _founder_text(event) if kind == "user" else _bot_text(event, render)
        if text.strip():
            lines.append(Line("founder" if kind == "user" else "bot", text.strip(), at))
    return lines[-limit:]
