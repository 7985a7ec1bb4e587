"""``emergebot db ...``: the resource database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hubdata.settings import Settings


async def _seed(settings: Settings, files: list[Path] | None) -> int:
    from hubdata import seed
    from hubdata.db import make_engine, make_session_factory, transaction

    entries, errors = seed.load_files(files or sorted(seed.RESOURCE_DIR.glob("*.yml")))
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(f"{len(errors)} error(s): nothing was loaded", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            count = await seed.replace_catalogue(session, entries)
    finally:
        await engine.dispose()
    examples = sum(1 for e in entries if e.get("example"))
    print(f"seeded {count} resources ({examples} marked as examples)")
    return 0


def migrate(settings: Settings) -> None:
    """Bring the database schema to the newest migration."""
    from hubdata import migrations

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.database_url)


def migrate_and_seed(settings: Settings, files: list[Path] | None = None) -> int:
    """Migrate the schema, then load the sourced catalogue (``files``, default: all).

    Returns:
        The exit code: 0, or 1 when a seed file is invalid (then nothing was loaded).
    """
    migrate(settings)
    return asyncio.run(_seed(settings, files))


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the database schema to the newest migration."""
    migrate(settings)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the schema, then load the sourced catalogue."""
    return migrate_and_seed(settings, args.files)


async def _prune(settings: Settings) -> dict[str, int]:
    from hubdata import retention
    from hubdata.db import opened

    async with opened(settings.database_url) as sessions:
        return await retention.prune_all(sessions, settings)


def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
    """Delete what is past its retention limit (the adapter also does it on a schedule)."""
    counts = asyncio.run(_prune(settings))
    for place, count in counts.items():
        print(f"{place}: {count} deleted")
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``db`` and its commands."""
    db = groups.add_parser("db", help="the resource database").add_subparsers(
        dest="command", required=True)
    migrate = db.add_parser("migrate", help="apply the Alembic migrations (before any replica)")
    migrate.set_defaults(func=cmd_migrate)
    seed = db.add_parser("seed", help="migrate, then load data/resources/*.yml")
    seed.add_argument("files", nargs="*", type=Path, help="seed files (default: all)")
    seed.set_defaults(func=cmd_seed)
    prune = db.add_parser("prune", help="delete founders' data past its retention limit "
                                        "(RETENTION_<KIND>_DAYS)")
    prune.set_defaults(func=cmd_prune)
    from emergebot import backup

    backup.register(db)  # backup FILE, restore FILE
