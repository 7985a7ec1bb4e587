"""Engine and session factory. Made at start-up by the caller, never at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from hubdata import logs
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
    # A failed statement's error (logged with its traceback) would show its parameters: what
    # founders wrote, their names. Shown only when logs may hold personal data (hubdata/logs.py).
    kwargs: dict = {"future": True, "pool_pre_ping": True,
                    "hide_parameters": not logs.shows_personal_data()}
    parsed = make_url(url)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database not in (None, "", ":memory:"):
            # A local file cannot go away like a server: no ping before each checkout. The
            # pool keeps as many connections as the adapter uses at once under load: a
            # connection beyond the pool's size is closed when returned, and opening one
            # starts a thread and sets the pragmas again (the profile at 30 msg/s showed
            # threads started on the hot path with 5).
            # No rollback when a connection goes back to the pool: a transaction still open
            # is rolled back by the connection's close() before it is returned, so the pool's
            # own rollback was one more round trip to aiosqlite's thread per transaction.
            kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=20, max_overflow=20,
                          pool_pre_ping=False, pool_reset_on_return=None)
    elif "schema" in parsed.query:
        schema = parsed.query["schema"]
        parsed = parsed.difference_update_query(["schema"])
        kwargs["connect_args"] = {"server_settings": {"search_path": str(schema)}}
    engine = create_async_engine(parsed, **kwargs)
    if url.startswith("sqlite"):
        _one_hop_execute()
        _enable_sqlite_pragmas(engine.sync_engine)
    return engine


def _one_hop_execute() -> None:
    """Run each SQLite statement in one call to aiosqlite's worker thread, not four.

    SQLAlchemy 1.4's aiosqlite adapter awaits ``cursor()``, ``execute()``, ``fetchall()`` and
    ``close()`` one by one, each a round trip to the connection's thread and a wake-up of the
    event loop; the profile of the adapter put these hand-offs and the loop's wake-ups at about
    a third of its CPU. The statement is the same and so are the cursor's results (description,
    rows, rowcount, lastrowid) and errors; server-side cursors keep SQLAlchemy's code.
    """
    from sqlalchemy.dialects.sqlite import aiosqlite as adapter

    cursor_class = adapter.AsyncAdapt_aiosqlite_cursor
    if getattr(cursor_class, "_one_hop", False):
        return
    original = cursor_class.execute

    def run(conn, operation, parameters):  # type: ignore[no-untyped-def]
        cursor = conn.cursor()  # in the worker thread, on the sqlite3 connection
        try:
            if parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            if cursor.description:
                return cursor.description, -1, -1, cursor.fetchall()
            return None, cursor.lastrowid, cursor.rowcount, []
        finally:
            cursor.close()

    def execute(self, operation, parameters=None):  # type: ignore[no-untyped-def]
        if self.server_side:
            return original(self, operation, parameters)
        connection = self._connection
        try:
            self.description, self.lastrowid, self.rowcount, self._rows = self.await_(
                connection._execute(run, connection._conn, operation, parameters))
        except Exception as error:  # noqa: BLE001 - converted as SQLAlchemy converts it
            self._adapt_connection._handle_exception(error)
        return None

    def run_many(conn, operation, seq_of_parameters):  # type: ignore[no-untyped-def]
        cursor = conn.cursor()
        try:
            cursor.executemany(operation, seq_of_parameters)
            return cursor.lastrowid, cursor.rowcount
        finally:
            cursor.close()

    def executemany(self, operation, seq_of_parameters):  # type: ignore[no-untyped-def]
        connection = self._connection
        try:
            self.lastrowid, self.rowcount = self.await_(
                connection._execute(run_many, connection._conn, operation, seq_of_parameters))
            self.description = None
        except Exception as error:  # noqa: BLE001 - converted as SQLAlchemy converts it
            self._adapt_connection._handle_exception(error)

    cursor_class.execute = execute
    cursor_class.executemany = executemany
    cursor_class._one_hop = True


def _enable_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs the journal at checkpoints, not at every commit: a commit
        # survives the process dying (the update log's promise); only a power cut may lose
        # the last commits, never corrupt the file (as Rasa's tracker store, nlu/rasa_patches).
        cursor.execute("PRAGMA synchronous=NORMAL")
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
async def opened(url: str) -> AsyncIterator[sessionmaker]:
    """An engine for one command's life: its session factory, disposed of at the end."""
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def transaction(factory: sessionmaker) -> AsyncIterator[AsyncSession]:
    """Open a session and a transaction: commit on success, roll back on error."""
    async with factory() as session:
        async with session.begin():
            yield session
