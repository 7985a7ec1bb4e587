"""Rasa's endpoints.yml, written from the one settings object for each Rasa replica.

Embedded default: a SQLite tracker store (Rasa's, remembering the current sessions when one
Rasa process is its only writer) and Rasa's in-memory lock store. Production: the
tracker store on PostgreSQL (TRACKER_STORE_URL) and the lock store on Redis (REDIS_URL), which
is what lets several Rasa replicas serve the same conversations safely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from hubdata.settings import Settings

SINGLE_WRITER = "nlu.tracker_store.SingleWriterSQLTrackerStore"


def tracker_store(settings: Settings) -> dict[str, Any]:
    """The tracker_store section."""
    if not settings.tracker_store_url:
        # One Rasa process writes this SQLite file: nlu/tracker_store.py remembers the current
        # sessions' events instead of reading them back at every message.
        kind = SINGLE_WRITER if settings.rasa_replicas == 1 else "SQL"
        return {"type": kind, "dialect": "sqlite", "db": settings.tracker_store_db}
    url = make_url(settings.tracker_store_url)
    section: dict[str, Any] = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "db": url.database,
        "login_db": "postgres",  # Rasa creates the tracker database through it if missing
    }
    if url.username:
        section["username"] = url.username
    if url.password:
        section["password"] = url.password
    return section


def lock_store(settings: Settings) -> dict[str, Any] | None:
    """The lock_store section (None: Rasa's in-memory lock store, one replica only)."""
    if not settings.redis_url:
        return None
    url = make_url(settings.redis_url)
    section: dict[str, Any] = {
        "type": "redis",
        "url": url.host or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.database or 0),
        "key_prefix": "emergebot",
    }
    if url.password:
        section["password"] = url.password
    return section


def endpoints(settings: Settings, replica: int = 0) -> dict[str, Any]:
    """The whole endpoints configuration of one Rasa replica."""
    config: dict[str, Any] = {
        "action_endpoint": {"url": settings.action_url_for(replica)},
        "tracker_store": tracker_store(settings),
    }
    locks = lock_store(settings)
    if locks is not None:
        config["lock_store"] = locks
    return config


def write(settings: Settings, replica: int, directory: Path) -> Path:
    """Write replica ``replica``'s endpoints file (it may hold a password: mode 0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"rasa-endpoints-{replica}.yml"
    path.write_text("# Written by emergebot from the settings; do not edit.\n"
                    + yaml.safe_dump(endpoints(settings, replica), sort_keys=False))
    path.chmod(0o600)
    return path
