"""``emergebot db backup`` and ``restore`` on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from emergebot import backup
from hubdata import founders, migrations
from hubdata.db import make_engine, make_session_factory, transaction

HEAD_BEFORE_FOUNDERS_DATA = "04981405fadf"


async def _languages(sessions) -> dict[int, str | None]:  # type: ignore[no-untyped-def]
    async with transaction(sessions) as session:
        rows = await session.execute(text("select user_id, language from founders"))
        return {int(user): lang for user, lang in rows.all()}


async def test_restore_brings_the_data_back_for_a_running_engine(
    database_url: str, tmp_path: Path,
) -> None:
    await asyncio.to_thread(migrations.upgrade, database_url)
    engine = make_engine(database_url)  # stands for the running bot: open throughout
    sessions = make_session_factory(engine)
    try:
        async with transaction(sessions) as session:
            await founders.set_language(session, 1, "fr")
            await founders.set_language(session, 2, "ar")
        file = tmp_path / "backups" / "bot.backup"
        await asyncio.to_thread(backup.backup, database_url, file)
        assert backup.file_revision(file) == backup._revisions(database_url)[0]
        async with transaction(sessions) as session:
            await founders.set_language(session, 1, "es")
            await session.execute(text("delete from founders where user_id = 2"))
            await founders.set_language(session, 3, "zh")
        assert await _languages(sessions) == {1: "es", 3: "zh"}

        done = await asyncio.to_thread(backup.restore, database_url, file)

        assert done.migrated_to is None
        assert await _languages(sessions) == {1: "fr", 2: "ar"}
        async with transaction(sessions) as session:  # and it writes on the restored data
            await founders.set_language(session, 4, "pt")
        assert (await _languages(sessions))[4] == "pt"
    finally:
        await engine.dispose()
    fresh = make_engine(database_url)
    try:
        assert await _languages(make_session_factory(fresh)) == {1: "fr", 2: "ar", 4: "pt"}
    finally:
        await fresh.dispose()


async def test_an_older_backup_is_migrated_after_its_restore(
    database_url: str, tmp_path: Path,
) -> None:
    await asyncio.to_thread(migrations.upgrade, database_url, HEAD_BEFORE_FOUNDERS_DATA)
    file = tmp_path / "old.backup"
    await asyncio.to_thread(backup.backup, database_url, file)
    assert backup.file_revision(file) == HEAD_BEFORE_FOUNDERS_DATA
    await asyncio.to_thread(migrations.upgrade, database_url)

    done = await asyncio.to_thread(backup.restore, database_url, file)

    head = backup._revisions(database_url)[0]
    assert (done.revision, done.migrated_to) == (HEAD_BEFORE_FOUNDERS_DATA, head)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(
                text("select version_num from alembic_version"))).scalar_one()
    finally:
        await engine.dispose()
    assert version == head


async def test_a_backup_from_a_newer_schema_is_refused(
    database_url: str, tmp_path: Path,
) -> None:
    await asyncio.to_thread(migrations.upgrade, database_url)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("update alembic_version set version_num = 'f00d'"))
        file = tmp_path / "newer.backup"
        await asyncio.to_thread(backup.backup, database_url, file)
        async with engine.begin() as connection:
            head = backup._revisions(database_url)[0]
            await connection.execute(text("update alembic_version set version_num = :head"),
                                     {"head": head})
        async with transaction(make_session_factory(engine)) as session:
            await founders.set_language(session, 7, "en")

        with pytest.raises(backup.BackupError, match="newer"):
            await asyncio.to_thread(backup.restore, database_url, file)

        async with engine.connect() as connection:  # nothing was changed
            users = (await connection.execute(text("select user_id from founders"))).all()
    finally:
        await engine.dispose()
    assert [row[0] for row in users] == [7]


def test_a_file_of_the_other_kind_is_refused(tmp_path: Path) -> None:
    dump = tmp_path / "dump.backup"
    dump.write_bytes(b"PGDMP\x01\x0e\x00 not for sqlite")
    with pytest.raises(backup.BackupError, match="not a SQLite backup"):
        backup.restore(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", dump)


def test_the_commands_back_up_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from emergebot.cli import main as cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("EMERGEBOT_VAR_DIR", str(tmp_path))
    assert cli(["db", "migrate"]) == 0
    assert cli(["db", "backup", str(tmp_path / "copy.db")]) == 0
    assert cli(["db", "restore", str(tmp_path / "copy.db")]) == 0
    assert cli(["db", "restore", str(tmp_path / "missing.db")]) == 1
    out = capsys.readouterr()
    assert "backed up the database" in out.out and "restored" in out.out
    assert "no backup at" in out.err
