"""``emergebot run --production``'s preparation step, on SQLite (PostgreSQL: tests/e2e)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emergebot import production


def test_prepare_migrates_and_seeds_the_database_it_is_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "bot.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{database}", "EMERGEBOT_VAR_DIR": str(tmp_path)}
    production.prepare(env)
    assert "seeded" in capsys.readouterr().out
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute("select count(*) from resources").fetchone()
    assert count > 0
