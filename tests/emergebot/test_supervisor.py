"""The supervisor's plan: no secret on a command line or in a health-check URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emergebot import production, supervisor
from hubdata.settings import Settings

TOKEN = "-rasa-token-secret"  # may start with "-"
SECRETS = (TOKEN, "db-pass-word", "redis-pass-word", "webhook-secret-value",
           "7012345678:AAH3kfjdlskfjdslkfjdslkfjdlskfjdslkfj")


def embedded() -> dict[str, str]:
    return {"RASA_TOKEN": TOKEN}


def production_layout() -> dict[str, str]:
    env = {"RASA_TOKEN": TOKEN, "WEBHOOK_SECRET": "webhook-secret-value",
           "DATABASE_URL": "postgresql://bot:db-pass-word@127.0.0.1/emergebot",
           "TRACKER_STORE_URL": "postgresql://bot:db-pass-word@127.0.0.1/emergebot_tracker",
           "REDIS_URL": "redis://:redis-pass-word@127.0.0.1:6379/0",
           "TELEGRAM_BOT_TOKEN": SECRETS[-1], "WEBHOOK_URL": "https://bot.example.org/telegram"}
    production.apply_defaults(env)
    return env


@pytest.mark.parametrize("layout", [embedded, production_layout])
def test_no_secret_on_a_command_line_or_in_a_health_check(
    layout: Callable[[], dict[str, str]], tmp_path: Path
) -> None:
    env = {**layout(), "EMERGEBOT_VAR_DIR": str(tmp_path)}
    settings = Settings.from_env(env)
    children = supervisor.plan(settings, tmp_path / "model.tar.gz",
                               local_chat=settings.telegram_bot_token is None)
    rasa = [c for c in children if c.name.startswith("rasa server")]
    assert len(rasa) == settings.rasa_replicas
    assert all(c.command[1:3] == ["-m", "nlu.server"] for c in rasa)
    for child in children:
        shown = " ".join([*child.command, child.health_url or "", child.listening])
        assert not [s for s in SECRETS if s in shown], child.name
    # The processes read the token from their environment instead.
    assert supervisor.stack_environment(settings, TOKEN)["RASA_TOKEN"] == TOKEN


def test_a_log_rotates_by_day_while_its_writer_keeps_appending(tmp_path: Path) -> None:
    """The supervisor moves each day's lines to <name>-<day>.log, which the retention job
    deletes after RETENTION_LOGS_DAYS; the child's handle (append mode) writes on at the end."""
    from emergebot.supervisor import rotate_log

    log = tmp_path / "rasa-server.log"
    writer = open(log, "ab")  # noqa: SIM115 - as the child holds it
    try:
        writer.write(b"monday line\n")
        writer.flush()
        assert rotate_log(log, "2026-12-07") == tmp_path / "rasa-server-2026-12-07.log"
        writer.write(b"tuesday line\n")
        writer.flush()
    finally:
        writer.close()
    assert (tmp_path / "rasa-server-2026-12-07.log").read_bytes() == b"monday line\n"
    assert log.read_bytes() == b"tuesday line\n"  # no hole of NULs before it
    assert rotate_log(tmp_path / "empty.log", "2026-12-07") is None
