"""Fixtures shared by the data-layer and action tests: a fresh SQLite database per test."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from hubdata import seed
from hubdata.db import create_schema, make_engine, make_session_factory, transaction


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


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The URL of this test's SQLite database file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'emergebot-test.db'}"


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
