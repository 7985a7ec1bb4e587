"""Settings: secrets stay out of repr."""

from __future__ import annotations

from hubdata.settings import Settings

SECRETS = {
    "DATABASE_URL": "postgresql://emergebot:db-pa55word@db.internal/emergebot",
    "TELEGRAM_BOT_TOKEN": "123:bot-token-secret",
    "RASA_TOKEN": "rasa-token-secret",
    "TRACKER_STORE_URL": "postgresql://rasa:tracker-pa55word@db.internal/rasa",
    "REDIS_URL": "redis://:redis-pa55word@cache.internal/0",
    "WEBHOOK_SECRET": "webhook-secret-value",
}


def test_repr_hides_every_secret() -> None:
    settings = Settings.from_env(SECRETS)
    shown = repr(settings) + str(settings)
    for name, value in SECRETS.items():
        secret = value.rsplit(":", 1)[-1].split("@")[0] if "@" in value else value
        assert secret not in shown, name
    assert "db-pa55word" not in shown
    assert settings.database_url.startswith("postgresql+asyncpg://")


def test_console_sign_in_limits_have_safe_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.console_token_max_age_days == 7.0
    assert settings.console_login_attempts == 10
    assert settings.console_login_window_s == 600.0
    tuned = Settings.from_env({"CONSOLE_TOKEN_MAX_AGE_DAYS": "1", "CONSOLE_LOGIN_ATTEMPTS": "3",
                               "CONSOLE_LOGIN_WINDOW_S": "60"})
    assert (tuned.console_token_max_age_days, tuned.console_login_attempts,
            tuned.console_login_window_s) == (1.0, 3, 60.0)
