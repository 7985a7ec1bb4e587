"""``emergebot founders ...``: a founder's data, for staff acting on a request made by other
means (e-mail, in person): export it, or erase it everywhere. Both are audited."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hubdata.settings import Settings


async def _export(settings: Settings, user_id: int) -> str:
    from hubdata import privacy
    from hubdata.db import opened

    async with opened(settings.database_url) as sessions:
        return await privacy.export_document(sessions, settings, user_id)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write everything kept about a founder as JSON (to a file, or standard output)."""
    document = asyncio.run(_export(settings, args.user_id))
    if args.out:
        args.out.write_text(document, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(document)
    return 0


async def _forget(settings: Settings, user_id: int, staff_id: int | None) -> dict[str, int]:
    from hubdata import privacy
    from hubdata.db import opened
    from hubdata.desk.results import CLI, Actor

    async with opened(settings.database_url) as sessions:
        return await privacy.forget_founder(sessions, settings, user_id, Actor(staff_id, CLI))


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    """Erase everything kept about a founder, everywhere (as /forget does)."""
    from hubdata.privacy import ErasureUnavailable

    if not args.yes:
        print(f"this erases everything kept about founder {args.user_id}, for good: "
              "run again with --yes", file=sys.stderr)
        return 2
    try:
        counts = asyncio.run(_forget(settings, args.user_id, args.staff))
    except ErasureUnavailable as error:
        print(f"error: nothing was erased: {error} (is RASA_TOKEN the running bot's?)",
              file=sys.stderr)
        return 1
    erased = ", ".join(f"{place} {count}" for place, count in counts.items() if count)
    print(f"erased founder {args.user_id}: {erased or 'nothing was kept'}")
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``founders`` and its commands."""
    founders = groups.add_parser("founders", help="a founder's data: export or erase")
    founders = founders.add_subparsers(dest="command", required=True)
    export = founders.add_parser("export", help="everything kept about a founder, as JSON")
    export.add_argument("user_id", type=int, help="the founder's Telegram user id")
    export.add_argument("--out", type=Path, help="write to this file (default: print)")
    export.set_defaults(func=cmd_export)
    forget = founders.add_parser("forget", help="erase everything kept about a founder")
    forget.add_argument("user_id", type=int, help="the founder's Telegram user id")
    forget.add_argument("--staff", type=int, help="the staff member acting (for the audit log)")
    forget.add_argument("--yes", action="store_true", help="really erase")
    forget.set_defaults(func=cmd_forget)
