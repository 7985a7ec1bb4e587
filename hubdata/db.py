"""Engine and session factory. Made at start-up by the caller, never at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from hubdata.models import Base

SessionFactory = sessionmaker  # typed alias for readability in signatures


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached."""


def make_engine(url: str) -> AsyncEngine:
    """Create the async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg).

    A PostgreSQL URL may name a schema with ``?schema=NAME``: the connection's search path is
    set to it (the tests give each test its own schema; a deployment may share a database).

    A SQLite file database gets a pool of open connections. SQLAlchemy 1.4's default for
    aiosqlite files is no pool: every transaction would open the file, start a worker thread
    and set the pragmas again (the benchmark measured that as the adapter's main cost).
    """
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    parsed = make_url(url)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database not in (None, "", ":memory:"):
            # A local file cannot go away like a server: no ping before each checkout.
            kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=5, max_overflow=15,
                          pool_pre_ping=False)
    elif "schema" in parsed.query:
        schema = parsed.query["schema"]
        parsed = parsed.difference_update_query(["schema"])
        kwargs["connect_args"] = {"server_settings": {"search_path": str(schema)}}
    engine = create_async_engine(parsed, **kwargs)
    if url.startswith("sqlite"):
        _enable_sqlite_pragmas(engine.sync_engine)
    return engine


def _enable_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def make_session_factory(engine: AsyncEngine) -> sessionmaker:
    """Return a factory of ``AsyncSession`` bound to ``engine``."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)


async def create_schema(engine: AsyncEngine) -> None:
    """Create every table that does not exist yet."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


@asynccontextmanager
async def transaction(factory: sessionmaker) -> AsyncIterator[AsyncSession]:
    """Open a session and a transaction: commit on success, roll back on error."""
    async with factory() as session:
        async with session.begin():
            yield session
