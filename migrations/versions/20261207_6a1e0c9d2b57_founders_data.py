"""Founders' data: the update log keyed by bot and update id, payloads dropped when done;
founders can be muted by staff.

The two tables keyed by Telegram's update id are rebuilt with the bot's id in their primary
key (0 for rows from before: one bot). Rebuilding (create, copy, drop, rename) works the same
on SQLite and PostgreSQL, where changing a primary key in place does not.

Revision ID: 6a1e0c9d2b57
Revises: 04981405fadf
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6a1e0c9d2b57"
down_revision = "04981405fadf"
branch_labels = None
depends_on = None

UPDATE_COLUMNS = ("update_id", "chat_id", "payload", "status", "attempts", "error",
                  "received_at", "retry_at", "finished_at")
REPLY_COLUMNS = ("update_id", "seq", "chat_id", "text", "markup", "created_at", "sent_at")


def _incoming_updates(name: str, keyed_by_bot: bool) -> None:
    key = ("bot_id", "update_id") if keyed_by_bot else ("update_id",)
    columns = [sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False,
                         server_default="0")] if keyed_by_bot else []
    op.create_table(
        name, *columns,
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=keyed_by_bot),
        *([sa.Column("fingerprint", sa.String(length=32), nullable=True)] if keyed_by_bot else []),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*key, name=f"{name}_pkey"),
    )


def _bot_replies(name: str, keyed_by_bot: bool) -> None:
    key = ("bot_id", "update_id", "seq") if keyed_by_bot else ("update_id", "seq")
    columns = [sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False,
                         server_default="0")] if keyed_by_bot else []
    op.create_table(
        name, *columns,
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("markup", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(*key, name=f"{name}_pkey"),
    )


def _rebuild(table: str, create: object, columns: tuple[str, ...], keyed_by_bot: bool) -> None:
    """Create ``table`` anew beside the old one, copy the rows, swap."""
    new = f"{table}_new"
    create(new, keyed_by_bot)  # type: ignore[operator]
    listed = ", ".join(columns)
    if keyed_by_bot:
        op.execute(f"INSERT INTO {new} (bot_id, {listed}) SELECT 0, {listed} FROM {table}")
    else:  # downgrade: one bot's rows only (the others' ids could collide)
        op.execute(f"INSERT INTO {new} ({listed}) SELECT {listed} FROM {table} "
                   "WHERE bot_id = (SELECT MIN(bot_id) FROM " + table + ")")
    op.drop_table(table)
    op.rename_table(new, table)
    if op.get_bind().dialect.name == "postgresql":  # keep the conventional key name
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")


def _index_updates(keyed_by_bot: bool) -> None:
    with op.batch_alter_table("incoming_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_updates_chat_id"), ["chat_id"])
        batch_op.create_index(batch_op.f("ix_incoming_updates_status"), ["status"])
        if keyed_by_bot:
            batch_op.create_index(batch_op.f("ix_incoming_updates_received_at"),
                                  ["received_at"])


def upgrade() -> None:
    _rebuild("incoming_updates", _incoming_updates, UPDATE_COLUMNS, True)
    _index_updates(True)
    _rebuild("bot_replies", _bot_replies, REPLY_COLUMNS, True)
    with op.batch_alter_table("founders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("muted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("muted_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("mute_noticed_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("founders", schema=None) as batch_op:
        batch_op.drop_column("mute_noticed_at")
        batch_op.drop_column("muted_by")
        batch_op.drop_column("muted_at")
    _rebuild("bot_replies", _bot_replies, REPLY_COLUMNS, False)
    op.execute("UPDATE incoming_updates SET payload = '{}' WHERE payload IS NULL")
    _rebuild("incoming_updates", _incoming_updates, UPDATE_COLUMNS, False)
    _index_updates(False)
