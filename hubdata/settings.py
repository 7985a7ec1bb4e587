"""One typed settings object, read from the environment once and passed in.

Every value has a safe default for the embedded setup (SQLite, one machine). Secrets are kept
out of ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "ru", "zh", "pt")
DEFAULT_LANGUAGE = "en"


def _async_url(url: str) -> str:
    """Return ``url`` with the asyncio driver for its database (aiosqlite or asyncpg)."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _optional_int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    return int(value.strip())


@dataclass(frozen=True)
class Settings:
    """Configuration of every process of the bot."""

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'emergebot.db'}"
    tracker_store_db: str = str(PROJECT_ROOT / "var" / "tracker.db")
    staff_chat_id: int | None = None
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_token: str | None = field(default=None, repr=False)
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    fake_telegram_port: int = 8081
    model_dir: Path = PROJECT_ROOT / "models"
    var_dir: Path = PROJECT_ROOT / "var"
    rasa_timeout_s: float = 30.0
    retry_interval_s: float = 10.0
    max_text_chars: int = 4000
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        default = cls()
        var_dir = Path(env.get("EMERGEBOT_VAR_DIR", str(default.var_dir)))
        database_url = env.get("DATABASE_URL") or (
            f"sqlite+aiosqlite:///{var_dir / 'emergebot.db'}"
        )
        return cls(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_url=env.get("TELEGRAM_API_URL") or default.telegram_api_url,
            database_url=_async_url(database_url),
            tracker_store_db=env.get("RASA_TRACKER_DB") or str(var_dir / "tracker.db"),
            staff_chat_id=_optional_int(env.get("STAFF_CHAT_ID")),
            rasa_host=env.get("RASA_HOST", default.rasa_host),
            rasa_port=int(env.get("RASA_PORT", default.rasa_port)),
            rasa_token=env.get("RASA_TOKEN") or None,
            action_host=env.get("ACTION_HOST", default.action_host),
            action_port=int(env.get("ACTION_PORT", default.action_port)),
            fake_telegram_port=int(env.get("FAKE_TELEGRAM_PORT", default.fake_telegram_port)),
            model_dir=Path(env.get("EMERGEBOT_MODEL_DIR", str(default.model_dir))),
            var_dir=var_dir,
            rasa_timeout_s=float(env.get("RASA_TIMEOUT_S", default.rasa_timeout_s)),
            retry_interval_s=float(env.get("RETRY_INTERVAL_S", default.retry_interval_s)),
            log_level=env.get("LOG_LEVEL", default.log_level).upper(),
        )

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """URL of the action server's webhook, as Rasa's endpoints.yml takes it."""
        return f"http://{self.action_host}:{self.action_port}/webhook"
