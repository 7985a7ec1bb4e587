"""What a desk operation takes (who acts) and gives back (allowed?, a notice, deliveries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TELEGRAM = "telegram"
CONSOLE = "console"
CLI = "cli"
SYSTEM = "system"
CHANNELS = (TELEGRAM, CONSOLE, CLI, SYSTEM)


@dataclass(frozen=True)
class Actor:
    """Who acts, and through which channel. ``user_id`` is a Telegram user id (None: the
    system itself, e.g. the SLA check)."""

    user_id: int | None
    channel: str

    @classmethod
    def system(cls) -> Actor:
        """The desk itself (SLA checks, delivery failures)."""
        return cls(None, SYSTEM)


@dataclass(frozen=True)
class Notice:
    """A message id and parameters to show the person who acted, in their language."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One thing the adapter must deliver; stored in the outbox in the same transaction.

    ``target`` is "telegram" (``chat_id`` and a payload the adapter renders) or "rasa"
    (``conversation_id`` and events to append to that conversation's tracker).
    """

    target: str
    payload: dict[str, Any]
    chat_id: int | None = None
    conversation_id: str | None = None
    ticket_id: int | None = None
    outbox_id: int | None = None


@dataclass
class Result:
    """The outcome of one desk operation."""

    ok: bool
    notice: Notice | None = None
    ticket_id: int | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    lang: str | None = None  # the actor's language, for the notice

    @property
    def refused(self) -> bool:
        """Whether the operation was refused (nothing changed but the audit log)."""
        return not self.ok
