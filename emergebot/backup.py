"""``emergebot db backup FILE`` and ``emergebot db restore FILE``: the bot's own database.

SQLite is copied with its online backup API, consistent while the bot runs and writes.
PostgreSQL goes through ``pg_dump`` (custom format) and ``pg_restore --clean`` in one
transaction; the password travels in ``PGPASSWORD``, never on a command line. A restore refuses
a file whose schema is newer than this code's migrations, and migrates an older one to the
newest. Rasa's tracker store is another database (``TRACKER_STORE_URL``, or the
``RASA_TRACKER_DB`` file): back it up with the same tools.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from hubdata import migrations
from hubdata.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
_COPY_VERSION = re.compile(r"COPY \S*alembic_version \(version_num\) FROM stdin;\n(\S+)\n")


class BackupError(RuntimeError):
    """A backup or restore that could not be done (the reason is for the maintainer)."""


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    revision: str  # the schema revision of the file
    migrated_to: str | None  # the revision migrated to, if the file was older


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_arguments(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore and their environment (the password)."""
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", str(url.database)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    schema = url.query.get("schema")
    if schema:
        args += ["--schema", str(schema)]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> str:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
    return done.stdout


def backup(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (replaced only when complete)."""
    url = make_url(database_url)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial",
                                            dir=target.parent)
    os.close(handle)
    partial = Path(partial_name)
    try:
        if _is_sqlite(url):
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"no database at {source_path}")
            _sqlite_copy(source_path, partial)
        else:
            args, env = _pg_arguments(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial), *args],
                 env)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database over another with the online backup API."""
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def file_revision(path: Path) -> str | None:
    """The Alembic revision recorded in a backup file (None: it has none)."""
    with open(path, "rb") as handle:
        magic = handle.read(16)
    if magic.startswith(SQLITE_MAGIC):
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
        finally:
            connection.close()
        return str(row[0]) if row else None
    if magic.startswith(PG_DUMP_MAGIC):
        script = _run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-",
                       str(path)], dict(os.environ))
        found = _COPY_VERSION.search(script)
        return found.group(1) if found else None
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom archive")


def _revisions(database_url: str) -> tuple[str, list[str]]:
    """This code's newest revision and every revision it knows."""
    scripts = ScriptDirectory.from_config(migrations.alembic_config(database_url))
    head = scripts.get_current_head()
    assert head is not None
    return head, [r.revision for r in scripts.walk_revisions()]


def restore(database_url: str, source: Path) -> Restored:
    """Replace the database's content with the backup ``source``, then migrate it if older.

    Refused, with nothing changed: a file of the other database kind, without a schema
    revision, or from a schema newer than this code knows.
    """
    url = make_url(database_url)
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    with open(source, "rb") as handle:
        magic = handle.read(16)
    expected = SQLITE_MAGIC if _is_sqlite(url) else PG_DUMP_MAGIC
    if not magic.startswith(expected):
        kind = "SQLite" if _is_sqlite(url) else "PostgreSQL"
        raise BackupError(f"{source} is not a {kind} backup")
    revision = file_revision(source)
    head, known = _revisions(database_url)
    if revision is None:
        raise BackupError(f"{source} has no schema revision: not a backup of this database")
    if revision not in known:
        raise BackupError(f"{source} is from schema {revision}, newer than this code's {head} "
                          "(or another application's): upgrade the code first")
    if _is_sqlite(url):
        _sqlite_copy(source, _sqlite_path(url))
    else:
        args, env = _pg_arguments(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", *args, str(source)], env)
    if revision == head:
        return Restored(revision, None)
    migrations.upgrade(database_url)
    return Restored(revision, head)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Write a consistent copy of the bot's database to FILE."""
    try:
        path = backup(settings.database_url, args.file)
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"backed up the database to {path} (schema {file_revision(path)})")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the bot's database with FILE; migrate it if it is older."""
    try:
        done = restore(settings.database_url, args.file)
    except BackupError as error:
        print(str(error), file=sys.stderr)
        return 1
    migrated = f", migrated to {done.migrated_to}" if done.migrated_to else ""
    print(f"restored {args.file} (schema {done.revision}{migrated})")
    return 0


def register(db: argparse._SubParsersAction) -> None:
    """Add ``db backup`` and ``db restore``."""
    backup_parser = db.add_parser("backup", help="write a consistent copy of the database "
                                                 "(safe while the bot runs)")
    backup_parser.add_argument("file", type=Path)
    backup_parser.set_defaults(func=cmd_backup)
    restore_parser = db.add_parser("restore", help="replace the database with a backup, "
                                                   "then migrate it if it is older")
    restore_parser.add_argument("file", type=Path)
    restore_parser.set_defaults(func=cmd_restore)
