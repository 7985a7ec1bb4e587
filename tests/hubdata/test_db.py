"""The engine: a pooled SQLite file, and each SQLite statement in one worker-thread call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from hubdata.db import create_schema, make_engine, make_session_factory, transaction
from hubdata.models import Founder, IncomingUpdate


async def test_a_sqlite_file_gets_a_connection_pool(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    memory = make_engine("sqlite+aiosqlite:///:memory:")
    try:
        assert type(engine.pool).__name__ == "AsyncAdaptedQueuePool"
        assert type(memory.pool).__name__ != "AsyncAdaptedQueuePool"
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        assert mode == "wal"
    finally:
        await engine.dispose()
        await memory.dispose()


async def test_each_statement_is_one_call_to_the_worker_thread_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hops.db'}")
    await create_schema(engine)
    sessions = make_session_factory(engine)
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)

    try:
        async with transaction(sessions) as session:  # a connection, warmed up
            await session.execute(select(Founder.user_id))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with transaction(sessions) as session:
            session.add_all([Founder(user_id=1), Founder(user_id=2)])
            await session.flush()
            rows = (await session.execute(select(Founder.user_id).order_by(Founder.user_id)))
            assert rows.scalars().all() == [1, 2]
            changed = await session.execute(
                update(Founder).where(Founder.user_id >= 1).values(chat_id=7))
            assert changed.rowcount == 2
        # two inserts (one executemany), a select, an update: one call each; then the commit,
        # and no rollback by the pool when the connection goes back (nothing is left open)
        assert calls == ["run_many", "run", "run", "commit"]
        with pytest.raises(IntegrityError):
            async with transaction(sessions) as session:
                session.add(IncomingUpdate(update_id=5, payload={}, status="pending"))
                await session.flush()
                await session.execute(text(
                    "INSERT INTO incoming_updates (update_id, payload, status, attempts, "
                    "received_at) VALUES (5, '{}', 'pending', 0, '2026-11-30')"))
        # the failed transaction was rolled back before its connection went back to the pool:
        # every pooled connection starts clean, without the pool's own rollback
        for _ in range(3):
            async with transaction(sessions) as session:
                assert await session.get(IncomingUpdate, (0, 5)) is None
    finally:
        await engine.dispose()
