"""Retention: each kind of founders' data is deleted once past its limit, and only then."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hubdata import retention
from hubdata.db import transaction
from hubdata.models import (
    BotReply,
    CallbackToken,
    IncomingUpdate,
    OutboxMessage,
    Search,
    Ticket,
    TicketMessage,
    utcnow,
)
from hubdata.retention_policy import RetentionPolicy

POLICY = RetentionPolicy(conversations_days=10, resolved_tickets_days=20, update_log_days=2,
                         outbox_days=5, nlu_inbox_days=10, searches_days=30, logs_days=3)


def test_policy_from_the_environment() -> None:
    policy = RetentionPolicy.from_env({"RETENTION_CONVERSATIONS_DAYS": "90",
                                       "RETENTION_LOGS_DAYS": " "})
    assert policy.conversations_days == 90 and policy.logs_days == RetentionPolicy().logs_days
    try:
        RetentionPolicy.from_env({"RETENTION_OUTBOX_DAYS": "0"})
    except ValueError as error:
        assert "RETENTION_OUTBOX_DAYS" in str(error)
    else:
        raise AssertionError("a zero limit was accepted")


async def test_prune_database_deletes_only_what_is_past_its_limit(
    sessions: sessionmaker,
) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=40), now - timedelta(hours=1)
    due = {"first_response_due": now, "resolution_due": now}
    async with transaction(sessions) as session:
        for update_id, (received, status) in enumerate(
                [(old, "done"), (old, "failed"), (old, "pending"), (recent, "done")], start=1):
            session.add(IncomingUpdate(update_id=update_id, chat_id=7, status=status,
                                       received_at=received, payload=None))
        session.add_all([
            BotReply(update_id=1, seq=0, chat_id=7, text="old", created_at=old),
            BotReply(update_id=4, seq=0, chat_id=7, text="new", created_at=recent),
            CallbackToken(token="gone", chat_id=7, action={}, expires_at=now - timedelta(1)),
            CallbackToken(token="live", chat_id=7, action={}, expires_at=now + timedelta(1)),
            OutboxMessage(target="telegram", chat_id=7, payload={}, status="sent", sent_at=old),
            OutboxMessage(target="telegram", chat_id=7, payload={}, status="pending",
                          created_at=old),
            OutboxMessage(target="telegram", chat_id=7, payload={}, status="sent",
                          sent_at=recent),
            Search(user_id=7, topic="funding", created_at=old),
            Search(user_id=7, topic="funding", created_at=recent),
        ])
        for status, resolved in (("resolved", old), ("resolved", recent), ("waiting", None)):
            ticket = Ticket(founder_id=7, founder_chat_id=7, language="en", reason="fallback",
                            status=status, resolved_at=resolved, **due)
            session.add(ticket)
            await session.flush()
            session.add(TicketMessage(ticket_id=ticket.id, author="founder", text="hi"))
    async with transaction(sessions) as session:
        counts = await retention.prune_database(session, POLICY)
    assert counts["incoming_updates"] == 2  # the old pending one is kept for recovery
    assert (counts["bot_replies"], counts["callback_tokens"], counts["desk_outbox"]) == (1, 1, 1)
    assert (counts["tickets"], counts["ticket_messages"], counts["searches"]) == (1, 1, 1)
    async with transaction(sessions) as session:
        statuses = sorted((await session.execute(select(IncomingUpdate.status))).scalars())
        assert statuses == ["done", "pending"]
        tickets = sorted((await session.execute(select(Ticket.status))).scalars())
        assert tickets == ["resolved", "waiting"]
        assert await session.scalar(select(func.count()).select_from(TicketMessage)) == 2
    async with transaction(sessions) as session:  # a second run finds nothing more
        assert not any((await retention.prune_database(session, POLICY)).values())


def test_update_log_is_never_pruned_inside_the_dedup_window() -> None:
    """A limit shorter than the window would let a resent update be answered twice."""
    short = RetentionPolicy(update_log_days=0.01)
    now = utcnow()
    assert min(short.cutoff(short.update_log_days, now),
               now - retention.DEDUP_WINDOW) == now - retention.DEDUP_WINDOW


def test_tracker_store_inbox_decisions_and_logs(tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as db:
        db.execute("create table events (id integer primary key, sender_id text, "
                   "type_name text, timestamp real, data text)")
        db.executemany("insert into events (sender_id, type_name, timestamp, data) values "
                       "(?, 'user', ?, '{}')",
                       [("7", time.time() - 20 * 86400), ("7", time.time() - 60)])
    assert retention.prune_tracker_store(f"sqlite:///{tracker}", POLICY) == 1
    with sqlite3.connect(tracker) as db:
        assert db.execute("select count(*) from events").fetchone() == (1,)

    state = tmp_path / "nlu-inbox.json"
    old = (utcnow() - timedelta(days=30)).isoformat()
    state.write_text(json.dumps({"items": {"a": {"status": "ignored", "at": old},
                                           "b": {"status": "labelled",
                                                 "at": utcnow().isoformat()}}}))
    assert retention.prune_inbox_state(state, POLICY) == 1
    assert list(json.loads(state.read_text())["items"]) == ["b"]

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "old.log").write_text("x")
    (logs / "new.log").write_text("y")
    os.utime(logs / "old.log", (time.time() - 5 * 86400,) * 2)
    assert retention.prune_logs(logs, POLICY) == 1
    assert [p.name for p in logs.iterdir()] == ["new.log"]
