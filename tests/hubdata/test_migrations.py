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


async def test_catalogue_rows_keep_their_meaning_through_the_lifecycle_migration(
    database_url: str,
) -> None:
    """A database from before statuses: an example stays an example, the amount moves to the
    English text, and old rows get the new columns' defaults."""
    from sqlalchemy import text

    await asyncio.to_thread(migrations.upgrade, database_url, "f4442dbda0e4")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            for rid, example in (("old-example", True), ("old-real", False)):
                await connection.execute(text(
                    "insert into resources (id, kind, organisation, areas, sectors, stages, "
                    "languages, amount, url, source_url, verified_on, is_example) values "
                    "(:id, 'hub', 'Org', '[]', '[]', '[]', '[]', 'US$5,000 (2024)', "
                    "'https://x.org', 'https://x.org/s', '2026-11-30', :example)"),
                    {"id": rid, "example": example})
                await connection.execute(text(
                    "insert into resource_texts (resource_id, lang, title, description) "
                    "values (:id, 'en', 'T', 'D'), (:id, 'fr', 'T', 'D')"), {"id": rid})
        await asyncio.to_thread(migrations.upgrade, database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "select id, status, version from resources order by id"))).all()
            amounts = (await connection.execute(text(
                "select resource_id, lang, amount from resource_texts order by 1, 2"))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [("old-example", "example", 1), ("old-real", "current", 1)]
    assert [tuple(a) for a in amounts] == [
        ("old-example", "en", "US$5,000 (2024)"), ("old-example", "fr", None),
        ("old-real", "en", "US$5,000 (2024)"), ("old-real", "fr", None)]
