"""One typed settings object, read from the environment once and passed in.

Every value has a safe default for the embedded setup (SQLite, one machine). Secrets are kept
out of ``repr`` so they never reach a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hubdata.retention_policy import RetentionPolicy

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


def _targets(value: str | None, default: SlaTargets) -> SlaTargets:
    """Parse "urgent=15,high=60,normal=240,low=1440" (minutes); unnamed priorities keep
    their default."""
    if not value or not value.strip():
        return default
    minutes = dict(default.__dict__)
    for part in value.split(","):
        name, _, number = part.partition("=")
        name = name.strip().lower()
        if name not in minutes or not number.strip():
            raise ValueError(f"SLA target {part!r}: expected PRIORITY=MINUTES, "
                             f"PRIORITY one of {', '.join(minutes)}")
        minutes[name] = float(number)
    return SlaTargets(**minutes)


@dataclass(frozen=True)
class SlaTargets:
    """Minutes allowed per ticket priority (first response, or resolution)."""

    urgent: float
    high: float
    normal: float
    low: float

    def minutes(self, priority: str) -> float:
        """The target for ``priority`` (unknown priorities count as normal)."""
        return float(getattr(self, priority, self.normal))


FIRST_RESPONSE_TARGETS = SlaTargets(urgent=15, high=60, normal=240, low=1440)
RESOLUTION_TARGETS = SlaTargets(urgent=240, high=1440, normal=2880, low=7200)


def _optional_int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    return int(value.strip())


@dataclass(frozen=True)
class Settings:
    """Configuration of every process of the bot."""

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org/bot"
    # A PostgreSQL URL carries its password: kept out of repr like the other secrets.
    database_url: str = field(
        default=f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'emergebot.db'}", repr=False)
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
    review_months: int = 12  # catalogue entries without their own review interval
    max_text_chars: int = 4000
    log_level: str = "INFO"
    staff_language: str = DEFAULT_LANGUAGE  # the staff group's messages
    sla_first_response: SlaTargets = FIRST_RESPONSE_TARGETS
    sla_resolution: SlaTargets = RESOLUTION_TARGETS
    sla_at_risk_fraction: float = 0.75  # "at risk" once this share of the target has passed
    sla_check_interval_s: float = 60.0
    desk_poll_interval_s: float = 1.0  # how often the adapter delivers the desk's outbox
    desk_reopen_window_h: float = 72.0  # asking again within this reopens the last ticket
    console_host: str = "127.0.0.1"
    console_port: int = 8090
    ops_host: str = "127.0.0.1"  # the adapter's /health, /ready, /metrics (bot/ops.py)
    ops_port: int = 8095  # first adapter replica; the next ones use the following ports
    console_token_max_age_days: float = 7.0  # an unused sign-in token expires after this
    console_login_attempts: int = 10  # sign-in tries per client address within the window
    console_login_window_s: float = 600.0
    # Production layout (issue 5): PostgreSQL tracker store, Redis lock store, replicas, webhook.
    tracker_store_url: str | None = field(default=None, repr=False)  # postgresql://... if set
    redis_url: str | None = field(default=None, repr=False)
    rasa_replicas: int = 1
    action_replicas: int = 1
    adapter_replicas: int = 1
    telegram_mode: str = "polling"  # or "webhook"
    webhook_url: str | None = None  # public URL Telegram posts to (the TLS proxy)
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8443  # first adapter replica; the next ones use the following ports
    rate_global_per_s: float = 30.0
    rate_chat_per_s: float = 1.0
    rate_chat_burst: int = 3
    rate_group_per_min: float = 20.0
    # Phone numbers, e-mail addresses, founders' words in log lines (hubdata/logs.py): debug only
    log_personal_data: bool = False
    flood_messages_per_min: int = 20  # a founder's messages a minute; beyond: dropped, told once
    # How long founders' data is kept (README, "Founders' data"): hubdata.retention.
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)

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
            review_months=int(env.get("CATALOGUE_REVIEW_MONTHS", default.review_months)),
            log_level=env.get("LOG_LEVEL", default.log_level).upper(),
            staff_language=env.get("STAFF_LANGUAGE") or default.staff_language,
            sla_first_response=_targets(env.get("SLA_FIRST_RESPONSE_MIN"),
                                        default.sla_first_response),
            sla_resolution=_targets(env.get("SLA_RESOLUTION_MIN"), default.sla_resolution),
            sla_at_risk_fraction=float(env.get("SLA_AT_RISK_FRACTION",
                                               default.sla_at_risk_fraction)),
            sla_check_interval_s=float(env.get("SLA_CHECK_INTERVAL_S",
                                               default.sla_check_interval_s)),
            desk_poll_interval_s=float(env.get("DESK_POLL_INTERVAL_S",
                                               default.desk_poll_interval_s)),
            desk_reopen_window_h=float(env.get("DESK_REOPEN_WINDOW_H",
                                               default.desk_reopen_window_h)),
            console_host=env.get("CONSOLE_HOST", default.console_host),
            console_port=int(env.get("CONSOLE_PORT", default.console_port)),
            ops_host=env.get("OPS_HOST", default.ops_host),
            ops_port=int(env.get("OPS_PORT", default.ops_port)),
            console_token_max_age_days=float(env.get("CONSOLE_TOKEN_MAX_AGE_DAYS",
                                                     default.console_token_max_age_days)),
            console_login_attempts=int(env.get("CONSOLE_LOGIN_ATTEMPTS",
                                               default.console_login_attempts)),
            console_login_window_s=float(env.get("CONSOLE_LOGIN_WINDOW_S",
                                                 default.console_login_window_s)),
            tracker_store_url=env.get("TRACKER_STORE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            rasa_replicas=int(env.get("RASA_REPLICAS", default.rasa_replicas)),
            action_replicas=int(env.get("ACTION_REPLICAS", default.action_replicas)),
            adapter_replicas=int(env.get("ADAPTER_REPLICAS", default.adapter_replicas)),
            telegram_mode=(env.get("TELEGRAM_MODE") or default.telegram_mode).lower(),
            webhook_url=env.get("WEBHOOK_URL") or None,
            webhook_secret=env.get("WEBHOOK_SECRET") or None,
            webhook_host=env.get("WEBHOOK_HOST", default.webhook_host),
            webhook_port=int(env.get("WEBHOOK_PORT", default.webhook_port)),
            rate_global_per_s=float(env.get("RATE_GLOBAL_PER_S", default.rate_global_per_s)),
            rate_chat_per_s=float(env.get("RATE_CHAT_PER_S", default.rate_chat_per_s)),
            rate_chat_burst=int(env.get("RATE_CHAT_BURST", default.rate_chat_burst)),
            rate_group_per_min=float(env.get("RATE_GROUP_PER_MIN", default.rate_group_per_min)),
            log_personal_data=(env.get("EMERGEBOT_LOG_PERSONAL_DATA") or "").strip().lower()
            in {"1", "true", "yes", "on"},
            flood_messages_per_min=int(env.get("FLOOD_MESSAGES_PER_MIN",
                                               default.flood_messages_per_min)),
            retention=RetentionPolicy.from_env(env),
        )

    @property
    def rasa_url(self) -> str:
        """Base URL of the (first) Rasa server."""
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def rasa_urls(self) -> list[str]:
        """Base URLs of every Rasa replica: consecutive ports from RASA_PORT."""
        return [f"http://{self.rasa_host}:{self.rasa_port + i}" for i in range(self.rasa_replicas)]

    def action_url_for(self, replica: int) -> str:
        """The action server that Rasa replica ``replica`` calls (replicas pair up round-robin)."""
        port = self.action_port + replica % max(self.action_replicas, 1)
        return f"http://{self.action_host}:{port}/webhook"

    @property
    def console_url(self) -> str:
        """Base URL of the staff console."""
        return f"http://{self.console_host}:{self.console_port}/"

    @property
    def action_url(self) -> str:
        """URL of the action server's webhook, as Rasa's endpoints.yml takes it."""
        return f"http://{self.action_host}:{self.action_port}/webhook"
