"""``emergebot resources ...``: catalogue upkeep (import, export, stale entries, gaps).

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
    from emergebot.catalogue_store import all_resources, months_before, verified_before
    from hubdata.db import make_engine, make_session_factory, transaction
    from hubdata.seed import to_entry

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
        if not entry.get("verified_on"):
            print(f"{'never':<10}  {'-':>3} months  {entry['kind']:<10} {entry['id']}  "
                  f"{entry.get('source_url') or '(no source)'}")
            continue
        verified = date.fromisoformat(entry["verified_on"])
        age = (today.year - verified.year) * 12 + today.month - verified.month
        print(f"{entry['verified_on']}  {age:>3} months  {entry['kind']:<10} {entry['id']}  "
              f"{entry.get('source_url')}")
    print(f"{len(entries)} entries last verified more than {args.months} months ago",
          file=sys.stderr)
    return 0


async def _gaps(settings: Settings, weeks: int, limit: int) -> tuple[list, list[str]]:
    from datetime import datetime, timedelta, timezone

    from hubdata import gaps
    from hubdata.db import make_engine, make_session_factory, transaction

    today = datetime.now(timezone.utc)
    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            found = await gaps.report(session, today - timedelta(weeks=weeks), limit)
    finally:
        await engine.dispose()
    return found, gaps.weeks_back(today.date(), weeks)


def cmd_gaps(args: argparse.Namespace, settings: Settings) -> int:
    """What founders asked for that the catalogue could not answer, most asked first."""
    found, weeks = asyncio.run(_gaps(settings, args.weeks, args.limit))
    bars = " ▁▂▃▄▅▆▇█"
    print(f"searches with no answer (none) or only dated/example entries (weak), "
          f"last {args.weeks} weeks ({weeks[0]} to {weeks[-1]})")
    print(f"{'founders':>8} {'searches':>8} {'none':>5} {'weak':>5}  {'per week':<{len(weeks)}}  "
          "topic  filters")
    for gap in found:
        peak = max(gap.weeks.values())
        spark = "".join(bars[round(gap.weeks.get(w, 0) / peak * 8)] for w in weeks)
        filters = " ".join(f"{k}={v}" for k, v in gap.filters.items() if k != "topic")
        print(f"{len(gap.founders):>8} {gap.total:>8} {gap.none:>5} {gap.weak:>5}  {spark}  "
              f"{gap.key[0]}  {filters or '-'}")
    if not found:
        print("no gaps: every search found at least one current entry")
    return 0


def cmd_faq_threshold(args: argparse.Namespace, settings: Settings) -> int:
    """Choose the direct answers' similarity threshold on training data (see hubdata.answers)."""
    from hubdata import answers, seed
    from hubdata.catalog import INTENT_TOPICS
    from hubdata.settings import PROJECT_ROOT

    entries, errors = seed.load_files(seed.RESOURCE_DIR.glob("*.yml"))
    if errors:
        print(f"{len(errors)} error(s) in the seed files; run make test", file=sys.stderr)
        return 1
    stored = answers.seed_answers(entries)
    topics = {e.get("topic") for e in entries if e.get("kind") == "faq"}
    intents = {intent for intent, topic in INTENT_TOPICS.items() if topic in topics}
    negatives = answers.training_negatives(PROJECT_ROOT / "nlu" / "data", intents)
    result = answers.calibrate(stored, negatives)
    print(f"answers: {len(stored)}, questions (left out one at a time): {result.positives}, "
          f"other topics' training examples: {result.negatives}")
    print(f"nearest answer is the right one: {result.top1:.1%}")
    print(f"threshold {result.threshold:.2f} (best balanced accuracy): recall "
          f"{result.recall:.1%}, other topics answered {result.false_rate:.1%}; "
          f"in use: {answers.MIN_SIMILARITY:.2f}")
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
    gaps = resources.add_parser("gaps", help="what founders asked for that the catalogue "
                                             "could not answer, per week")
    gaps.add_argument("--weeks", type=int, default=8)
    gaps.add_argument("--limit", type=int, default=20)
    gaps.set_defaults(func=cmd_gaps)
    faq = resources.add_parser("faq-threshold", help="choose the direct answers' threshold on "
                                                     "training data")
    faq.set_defaults(func=cmd_faq_threshold)
