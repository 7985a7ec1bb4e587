"""Redaction of log lines: secrets always, personal data unless the debug flag is set."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from hubdata import logs
from hubdata.settings import Settings

BOT_TOKEN = "7012345678:AAH3kfjdlsk_fjdslkfjdsl-kfjdlskfjdsl"
SETTINGS = Settings(telegram_bot_token=BOT_TOKEN, rasa_token="rasa-secret-token",
                    webhook_secret="webhook-secret-value",
                    database_url="postgresql+asyncpg://bot:db-pass-word@db/emergebot",
                    redis_url="redis://:redis-pass-word@cache:6379/0")


@pytest.fixture
def redactor() -> logs.Redactor:
    return logs.Redactor.for_settings(SETTINGS)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[logs.Redactor]:
    """hubdata.logs installed in this process, undone afterwards."""
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(logs, "_installed", False)
    monkeypatch.setattr(logs, "_active", logs.Redactor())
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    try:
        yield logs.install(SETTINGS, secrets=["123456:local-terminal-chat"])
    finally:
        logging.setLogRecordFactory(factory)
        logging.captureWarnings(False)


@pytest.mark.parametrize("line", [
    f"POST https://api.telegram.org/bot{BOT_TOKEN}/getUpdates",
    "POST http://127.0.0.1:8081/bot123456:some-local-token/sendMessage",
    f"a token pasted in a message: {BOT_TOKEN}",
    "8123456789:ZZH3kfjdlskfjdslkfjdslkfjdlskfjdslkfj",  # not this deployment's: its shape
    "GET /status?token=rasa-secret-token&include_events=ALL",
    "GET /model?token=another-token-value",
    "Authorization: Bearer abc.def-ghi",
    "{'secret_token': 'webhook-secret-value'}",
    "X-Telegram-Bot-Api-Secret-Token: something-else",
    "connecting to postgresql://bot:db-pass-word@db/emergebot",
    "connecting to postgresql://user:other-password@elsewhere/db",
    "redis-pass-word alone",
])
def test_secrets_never_reach_a_line(redactor: logs.Redactor, line: str) -> None:
    debug = dataclasses.replace(redactor, personal_data=True)  # the flag does not show secrets
    for redact in (redactor, debug):
        clean = redact(line)
        for secret in ("AAH3kfjdlsk", "some-local-token", "ZZH3kfjd", "rasa-secret-token",
                       "another-token-value", "abc.def-ghi", "webhook-secret-value",
                       "something-else", "db-pass-word", "other-password", "redis-pass-word"):
            assert secret not in clean, clean


@pytest.mark.parametrize("phone", [
    "+233 24 412 3456", "+233244123456", "024 412 3456", "0244123456", "024-412-3456",
    "(024) 412-3456", "+33 6 12 34 56 78", "06.12.34.56.78", "00233244123456",
])
def test_phone_numbers_are_hidden(redactor: logs.Redactor, phone: str) -> None:
    assert redactor(f"call me on {phone} please") == "call me on <phone> please"


@pytest.mark.parametrize("line", [
    "chat 123456789 update 10001 at 2026-12-07 05:12:34.123456",
    "from 192.168.100.200 port 5005, Rasa 3.6.21, confidence 0.9547090614295664",
    "group -1001234567890, ports 20001 20002, waiting 1.5 s",
    "postgresql://postgres@127.0.0.1:5432/emergebot and /work/main/bot/app.py",
])
def test_ids_dates_and_addresses_are_kept(redactor: logs.Redactor, line: str) -> None:
    assert redactor(line) == line


def test_emails_are_hidden_unless_personal_data_may_be_logged() -> None:
    line = "write to ama.mensah@example.com.gh or +233 24 412 3456"
    assert logs.Redactor()(line) == "write to <email> or <phone>"
    assert logs.Redactor(personal_data=True)(line) == line


def test_installed_redaction_covers_every_logger_and_traceback(
    installed: logs.Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info("HTTP Request: POST %s", f"https://x/bot{BOT_TOKEN}/getMe")
    logging.getLogger("telegram.ext.ExtBot").critical(
        "Error while parsing updates! Received data was %r", [{"text": "quokka"}])
    logging.getLogger("bot").error("update %s: %r", 7, logs.personal({"first_name": "Abena"}))
    try:
        raise ValueError("rasa-secret-token in an error")
    except ValueError:
        logging.getLogger("rasa.server").exception("failed for %s", "+233 24 412 3456")
    text = caplog.text
    assert "AAH3kfjdlsk" not in text and "rasa-secret-token" not in text
    assert "quokka" not in text and "Abena" not in text and "412 3456" not in text
    assert "/bot<secret>/getMe" in text and "update 7: <hidden>" in text
    assert "ValueError: <secret> in an error" in text


def test_the_debug_flag_shows_personal_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_active", logs.Redactor(personal_data=True))
    assert repr(logs.personal("quokka")) == "'quokka'"
    monkeypatch.setattr(logs, "_active", logs.Redactor())
    assert f"{logs.personal('quokka')}" == logs.HIDDEN


def test_the_debug_flag_is_read_from_the_environment() -> None:
    assert Settings.from_env({"EMERGEBOT_LOG_PERSONAL_DATA": "1"}).log_personal_data
    assert not Settings.from_env({}).log_personal_data
    assert "rasa-secret-token" not in repr(logs.Redactor.for_settings(SETTINGS))


def test_database_errors_hide_their_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    from hubdata.db import make_engine

    for shown in (False, True):
        monkeypatch.setattr(logs, "_active", logs.Redactor(personal_data=shown))
        engine = make_engine("sqlite+aiosqlite:///:memory:")
        assert engine.sync_engine.hide_parameters is not shown
        asyncio.run(engine.dispose())
