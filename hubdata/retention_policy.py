"""How long each kind of founders' data is kept: part of the settings (hubdata.retention
enforces it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of data is kept (after it is finished, where it has an end)."""

    conversations_days: float = 180.0  # Rasa's tracker events, by their time
    resolved_tickets_days: float = 365.0  # after resolution, with their transcripts
    update_log_days: float = 2.0  # done or failed updates; never less than the dedup window
    outbox_days: float = 30.0  # delivered, failed or blocked messages
    nlu_inbox_days: float = 180.0  # maintainers' decisions on inbox items
    searches_days: float = 365.0  # founders' searches (the catalogue's gaps report)
    reports_days: float = 365.0  # closed catalogue reports
    logs_days: float = 14.0  # the processes' log files under var/logs
    interval_h: float = 6.0  # how often the adapter prunes

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPolicy:
        """``RETENTION_<KIND>_DAYS`` (for example RETENTION_CONVERSATIONS_DAYS=90) and
        RETENTION_INTERVAL_H; unset ones keep their default."""
        values = {}
        for item in fields(cls):
            raw = env.get(f"RETENTION_{item.name.upper()}")
            if raw is not None and raw.strip():
                value = float(raw)
                if value <= 0:
                    raise ValueError(f"RETENTION_{item.name.upper()} must be positive")
                values[item.name] = value
        return cls(**values)

    def cutoff(self, days: float, now: datetime) -> datetime:
        """The moment before which data kept ``days`` is due for deletion."""
        return now - timedelta(days=days)
