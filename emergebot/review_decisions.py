"""What maintainers did with the NLU review queue's items (``emergebot nlu inbox``):
labelled or ignored items leave the queue.

Kept in one JSON file under var/ (``var/nlu-inbox.json``), keyed by the item key (language and
normalised masked text), so it holds no personal data. Written atomically.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

LABELLED = "labelled"
IGNORED = "ignored"


class ReviewDecisions:
    """The decisions taken on inbox items, loaded from and saved to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: dict[str, dict[str, Any]] = {}
        if path.exists():
            self.items = json.loads(path.read_text(encoding="utf-8")).get("items", {})

    def done(self, key: str) -> bool:
        """Whether the item was labelled or ignored."""
        return key in self.items

    def record(self, key: str, status: str, **details: Any) -> None:
        """Record a decision and save the file at once (a crash loses nothing)."""
        self.items[key] = {"status": status,
                           "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           **details}
        self.save()

    def counts(self) -> dict[str, int]:
        """How many items were labelled and ignored."""
        counts = {LABELLED: 0, IGNORED: 0}
        for entry in self.items.values():
            counts[entry["status"]] = counts.get(entry["status"], 0) + 1
        return counts

    def save(self) -> None:
        """Write the file atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"items": self.items}, ensure_ascii=False, indent=1,
                                        sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)
