"""``emergebot run --production``: the production layout on one machine.

PostgreSQL holds the bot's database and Rasa's tracker store, Redis is Rasa's lock store (and
holds the chat locks and rate-limit schedules shared by adapter replicas), two Rasa, two action
server and two adapter replicas run, and the adapters take Telegram's webhooks. Values already
in the environment win, so the same command serves a real deployment's settings.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import MutableMapping

from sqlalchemy.engine import make_url

from emergebot.db_commands import migrate_and_seed
from hubdata.settings import Settings

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DEFAULTS = {
    "DATABASE_URL": f"{LOCAL_POSTGRES}/emergebot",
    "TRACKER_STORE_URL": f"{LOCAL_POSTGRES}/emergebot_tracker",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "RASA_REPLICAS": "2",
    "ACTION_REPLICAS": "2",
    "ADAPTER_REPLICAS": "2",
    "TELEGRAM_MODE": "webhook",
}


def apply_defaults(env: MutableMapping[str, str]) -> None:
    """Fill in the production layout where the environment does not say otherwise."""
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    if env.get("TELEGRAM_BOT_TOKEN") and not env.get("WEBHOOK_URL"):
        raise SystemExit("with TELEGRAM_BOT_TOKEN, the webhook needs WEBHOOK_URL: the public "
                         "https:// address of the TLS reverse proxy in front of the adapters")
    env.setdefault("WEBHOOK_SECRET", secrets.token_urlsafe(24))


async def ensure_database(url: str) -> None:
    """Create a PostgreSQL database if it does not exist yet."""
    import asyncpg

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        return
    admin = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432,
                                  user=parsed.username, password=parsed.password,
                                  database="postgres")
    try:
        exists = await admin.fetchval("select 1 from pg_database where datname = $1",
                                      parsed.database)
        if not exists:
            await admin.execute(f'create database "{parsed.database}"')
            print(f"created database {parsed.database}")
    finally:
        await admin.close()


def prepare(env: MutableMapping[str, str] | None = None) -> None:
    """Create the databases, then migrate and seed: one step before any replica starts."""
    env = os.environ if env is None else env
    for key in ("DATABASE_URL", "TRACKER_STORE_URL"):
        if env.get(key):
            asyncio.run(ensure_database(env[key]))
    if migrate_and_seed(Settings.from_env(env)) != 0:
        sys.exit("seeding failed")
