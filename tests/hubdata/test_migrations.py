"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hubdata import migrations
from hubdata.db import make_engine
from hubdata.models import Base


async def test_migrations_match_the_models(database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
            tables = set(await connection.run_sync(
                lambda sync: sync.dialect.get_table_names(sync)))
    finally:
        await engine.dispose()
    assert diff == [], f"the models changed without a migration: {diff}"
    assert {"resources", "incoming_updates", "alembic_version"} <= tables


async def test_upgrading_twice_is_harmless(database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, database_url)
    await asyncio.to_thread(migrations.upgrade, database_url)
