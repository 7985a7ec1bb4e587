"""Fixtures shared by the data-layer and action tests: a fresh SQLite database per test."""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from bot.lifecycle import assemble
from bot.webhook import make_app
from hubdata import seed
from hubdata.db import create_schema, make_engine, make_session_factory, transaction
from hubdata.settings import Settings


@pytest.fixture(autouse=True)
def _process_state_restored() -> Any:
    """Undo what a test changed in the process's environment and logger levels.

    Loading a Rasa model in-process (the CLINC150 slice, the evaluation) sets the root
    logger and ``LOG_LEVEL`` to ERROR and puts a filter of repeated lines on every handler;
    left in place, later tests' warnings are never seen and the processes they start
    inherit a silent log level.
    """
    environment = dict(os.environ)
    manager = logging.root.manager
    levels = {name: log.level for name, log in manager.loggerDict.items()
              if isinstance(log, logging.Logger)}
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    filters = {handler: list(handler.filters) for handler in root_handlers}
    yield
    os.environ.clear()
    os.environ.update(environment)
    for name, log in list(manager.loggerDict.items()):
        if isinstance(log, logging.Logger):
            log.setLevel(levels.get(name, logging.NOTSET))
    logging.root.setLevel(root_level)
    for handler in list(logging.root.handlers):
        if handler not in root_handlers and type(handler).__module__.startswith("logging"):
            logging.root.removeHandler(handler)  # a handler the test's code added
        else:  # Rasa's RepeatedLogFilter would hide a later test's identical warning
            handler.filters = list(filters.get(handler, []))


@functools.cache
def _seed_entries() -> tuple[dict[str, Any], ...]:
    """The real seed entries, parsed once per test run (they are read-only)."""
    entries, errors = seed.load_files(seed.RESOURCE_DIR.glob("*.yml"))
    assert not errors, [str(e) for e in errors]
    return tuple(entries)


@pytest.fixture
def seed_entries() -> list[dict[str, Any]]:
    """The entries of data/resources/*.yml, validated."""
    return list(_seed_entries())


POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/emergebot_test")


_POSTGRES_STATE: dict[str, str | None] = {}


async def _postgres_ready() -> str | None:
    """Create the test database once; return why PostgreSQL is unusable, or None."""
    if "problem" in _POSTGRES_STATE:
        return _POSTGRES_STATE["problem"]
    import asyncpg

    url = make_url(POSTGRES_URL)
    problem = None
    try:
        admin = await asyncpg.connect(host=url.host, port=url.port or 5432,
                                      user=url.username, database="postgres", timeout=10)
        try:
            exists = await admin.fetchval("select 1 from pg_database where datname = $1",
                                          url.database)
            if not exists:
                try:
                    await admin.execute(f'create database "{url.database}"')
                except asyncpg.exceptions.DuplicateDatabaseError:
                    pass  # another test process (make test runs several) made it meanwhile
        finally:
            await admin.close()
    except Exception as error:  # noqa: BLE001 - any failure means "not usable"
        problem = f"{type(error).__name__}: {error}"
    _POSTGRES_STATE["problem"] = problem
    return problem


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database for this test: a SQLite file, or a PostgreSQL schema of its own.

    PostgreSQL is the production database, so the data layer is tested on both. Where no
    PostgreSQL server runs, set EMERGEBOT_SKIP_POSTGRES=1 to skip those variants explicitly.
    """
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'emergebot-test.db'}"
        return
    if os.environ.get("EMERGEBOT_SKIP_POSTGRES") == "1":
        pytest.skip("EMERGEBOT_SKIP_POSTGRES=1")
    problem = await _postgres_ready()
    if problem:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not usable ({problem}); start it, or "
                    "set EMERGEBOT_SKIP_POSTGRES=1")
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_URL)
    admin = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                  database=url.database)
    await admin.execute(f"create schema {schema}")
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        await admin.execute(f"drop schema {schema} cascade")
        await admin.close()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh database with every table created."""
    eng = make_engine(database_url)
    await create_schema(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> sessionmaker:
    """A session factory on the fresh database."""
    return make_session_factory(engine)


@pytest.fixture
async def seeded(sessions: sessionmaker, seed_entries: list[dict[str, Any]]) -> sessionmaker:
    """A session factory on a fresh database holding the real seed catalogue."""
    async with transaction(sessions) as session:
        await seed.replace_catalogue(session, seed_entries)
    return sessions


WEBHOOK_SECRET = "s3cret-token-for-tests"


@pytest.fixture
async def webhook(database_url: str, sessions: Any) -> AsyncIterator[tuple[TestClient, Any]]:
    """The webhook endpoint of an adapter on the test's database (its tables made by
    ``sessions``), with a Bot API client that reaches nothing."""
    settings = Settings(telegram_api_url="http://127.0.0.1:9/bot", database_url=database_url)
    async with AsyncExitStack() as stack:
        application = await assemble(stack, settings)
        client = TestClient(TestServer(make_app(application, WEBHOOK_SECRET)))
        await client.start_server()
        yield client, application
