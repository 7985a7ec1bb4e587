"""``emergebot resources ...``: catalogue upkeep (import, export, stale entries).

``import`` validates every row first and writes nothing unless all are valid; then it adds or
replaces entries by id in one transaction. The database is the live catalogue; ``db seed``
resets it to ``data/resources/``, so keep entries worth keeping there too (``export``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from hubdata.settings import Settings


async def _import(settings: Settings, entries: list) -> tuple[int, int]:
    from emergebot.catalogue_store import upsert
    from hubdata.db import make_engine, make_session_factory, transaction

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            return await upsert(session, entries)
    finally:
        await engine.dispose()


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Validate a CSV or YAML file; import it whole, or not at all."""
    from emergebot.catalogue_files import describe, read

    path = Path(args.file)
    entries, errors = read(path)
    if errors:
        for error in errors:
            print(describe(error), file=sys.stderr)
        print(f"{len(errors)} error(s) in {path}: nothing was imported", file=sys.stderr)
        return 1
    if not entries:
        print(f"{path} holds no entries: nothing was imported", file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(entries)} valid entries in {path} (not imported: --check)")
        return 0
    try:
        added, updated = asyncio.run(_import(settings, entries))
    except Exception as error:  # noqa: BLE001 - the transaction was rolled back
        print(f"import failed, nothing was imported: {error}", file=sys.stderr)
        return 1
    print(f"imported {len(entries)} entries from {path}: {added} new, {updated} replaced")
    return 0


async def _entries(settings: Settings, months: int | None) -> list[dict]:
    from emergebot.catalogue_store import all_resources, months_before, to_entry, verified_before
    from hubdata.db import make_engine, make_session_factory, transaction

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            if months is None:
                resources = await all_resources(session)
            else:
                resources = await verified_before(session, months_before(date.today(), months))
            return [to_entry(r) for r in resources]
    finally:
        await engine.dispose()


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the catalogue as YAML (the seed format) or CSV."""
    from emergebot.catalogue_files import to_csv, to_yaml

    entries = asyncio.run(_entries(settings, None))
    text = to_csv(entries) if args.format == "csv" else to_yaml(entries)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"exported {len(entries)} entries to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_stale(args: argparse.Namespace, settings: Settings) -> int:
    """List entries last verified more than N months ago, oldest first."""
    entries = asyncio.run(_entries(settings, args.months))
    today = date.today()
    for entry in entries:
        verified = date.fromisoformat(entry["verified_on"])
        age = (today.year - verified.year) * 12 + today.month - verified.month
        print(f"{entry['verified_on']}  {age:>3} months  {entry['kind']:<10} {entry['id']}  "
              f"{entry['source_url']}")
    print(f"{len(entries)} entries last verified more than {args.months} months ago",
          file=sys.stderr)
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``resources`` and its commands."""
    resources = groups.add_parser("resources", help="catalogue upkeep").add_subparsers(
        dest="command", required=True)
    imp = resources.add_parser("import", help="validate and import a CSV or YAML file, "
                                              "all of it or nothing")
    imp.add_argument("file", help="a .csv or .yml file (columns: see README)")
    imp.add_argument("--check", action="store_true", help="only validate")
    imp.set_defaults(func=cmd_import)
    export = resources.add_parser("export", help="write the catalogue out")
    export.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    export.add_argument("--out", help="a file (default: stdout)")
    export.set_defaults(func=cmd_export)
    stale = resources.add_parser("stale", help="entries last verified more than N months ago")
    stale.add_argument("--months", type=int, required=True)
    stale.set_defaults(func=cmd_stale)
