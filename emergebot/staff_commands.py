"""``emergebot staff ...``: who may use the staff desk, and their console tokens.

    emergebot staff add 123456789 --name "Amina K." --languages en,fr,ar [--can-edit-catalogue]
    emergebot staff catalogue 123456789 [--revoke]   # grant (or withdraw) the catalogue desk
    emergebot staff list
    emergebot staff token 123456789     # prints a new console token, once
    emergebot staff remove 123456789    # their open tickets go back to the queue
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from hubdata.settings import Settings


async def _in_transaction(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from hubdata.db import make_engine, make_session_factory, transaction

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def _run(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from hubdata.desk.staff import StaffError

    try:
        return asyncio.run(_in_transaction(settings, work))
    except StaffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _actor() -> Any:
    from hubdata.desk.results import CLI, Actor

    return Actor(None, CLI)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Register a staff member (or update their name and languages)."""
    from hubdata.desk import staff
    from hubdata.models import utcnow

    async def work(session: Any) -> int:
        member, created = await staff.add(session, args.user_id, args.name,
                                          args.languages.split(","), actor=_actor(),
                                          now=utcnow(),
                                          can_edit_catalogue=args.can_edit_catalogue or None)
        verb = "added" if created else "updated"
        rights = "; may edit the catalogue" if member.can_edit_catalogue else ""
        print(f"{verb} staff member {member.user_id} {member.name} "
              f"({', '.join(member.languages)}){rights}")
        return 0

    return _run(settings, work)


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove a staff member; their claimed tickets return to the queue."""
    from hubdata.desk import staff, transitions
    from hubdata.models import utcnow

    async def work(session: Any) -> int:
        now = utcnow()
        member = await staff.deactivate(session, args.user_id, actor=_actor(), now=now)
        released = await transitions.release_all_of(session, settings, args.user_id,
                                                    actor=_actor(), now=now)
        print(f"removed staff member {member.user_id} {member.name}"
              + (f"; tickets back in the queue: {', '.join(f'#{n}' for n in released)}"
                 if released else ""))
        return 0

    return _run(settings, work)


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """List staff members."""
    from hubdata.desk import staff

    async def work(session: Any) -> int:
        members = await staff.listing(session, include_inactive=args.all)
        if not members:
            print("no staff registered: emergebot staff add USER_ID --name NAME --languages en")
        for m in members:
            token = "console token issued" if m.token_hash else "no console token"
            state = "" if m.active else " (removed)"
            rights = "\tcatalogue" if m.can_edit_catalogue else ""
            print(f"{m.user_id}\t{m.name}\t{','.join(m.languages)}\t{token}{rights}{state}")
        return 0

    return _run(settings, work)


def cmd_catalogue(args: argparse.Namespace, settings: Settings) -> int:
    """Grant (or with --revoke withdraw) the right to edit the catalogue in the console."""
    from hubdata.desk import staff
    from hubdata.models import utcnow

    async def work(session: Any) -> int:
        member = await staff.set_catalogue_permission(session, args.user_id, not args.revoke,
                                                      actor=_actor(), now=utcnow())
        state = "may now edit" if member.can_edit_catalogue else "may no longer edit"
        print(f"staff member {member.user_id} {member.name} {state} the catalogue")
        return 0

    return _run(settings, work)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """Issue a console token (shown once; only its hash is stored)."""
    from hubdata.desk import staff
    from hubdata.models import utcnow

    async def work(session: Any) -> int:
        token = await staff.issue_token(session, args.user_id, actor=_actor(), now=utcnow())
        print(token)
        print(f"sign in at {settings.console_url} with this token: it works once, within "
              f"{settings.console_token_max_age_days:g} days (CONSOLE_TOKEN_MAX_AGE_DAYS), and "
              "replaces any earlier one (their console sessions are signed out)", file=sys.stderr)
        return 0

    return _run(settings, work)


def register(groups: argparse._SubParsersAction) -> None:
    """Add ``staff`` and its commands."""
    commands = groups.add_parser("staff", help="hub staff of the escalation desk").add_subparsers(
        dest="command", required=True)
    add = commands.add_parser("add", help="register a staff member (Telegram user id)")
    add.add_argument("user_id", type=int)
    add.add_argument("--name", required=True)
    add.add_argument("--languages", required=True, help="codes they speak, e.g. en,fr,ar "
                     "(the first is the language the desk uses with them)")
    add.add_argument("--can-edit-catalogue", action="store_true",
                     help="may edit the resource catalogue in the console")
    add.set_defaults(func=cmd_add)
    catalogue = commands.add_parser("catalogue", help="let a staff member edit the catalogue")
    catalogue.add_argument("user_id", type=int)
    catalogue.add_argument("--revoke", action="store_true", help="withdraw the right instead")
    catalogue.set_defaults(func=cmd_catalogue)
    remove = commands.add_parser("remove", help="remove a staff member")
    remove.add_argument("user_id", type=int)
    remove.set_defaults(func=cmd_remove)
    listing = commands.add_parser("list", help="list staff members")
    listing.add_argument("--all", action="store_true", help="include removed members")
    listing.set_defaults(func=cmd_list)
    token = commands.add_parser("token", help="issue a console token for a staff member")
    token.add_argument("user_id", type=int)
    token.set_defaults(func=cmd_token)
