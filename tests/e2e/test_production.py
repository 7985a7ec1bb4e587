"""The production layout for real: PostgreSQL (bot database and Rasa's tracker store), Redis
(Rasa's lock store, chat locks, rate limits), two Rasa and two action-server replicas, and two
adapter replicas in webhook mode behind a balancer. One Rasa replica is killed mid-traffic."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e
POSTGRES = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The production layout on this machine's PostgreSQL and Redis."""
    suffix = uuid.uuid4().hex[:8]
    database, tracker = f"emergebot_e2e_{suffix}", f"emergebot_tracker_{suffix}"
    for name in (database, tracker):  # created up front: two Rasa replicas would race for it
        asyncio.run(_admin(f'create database "{name}"'))
    stack = start_stack(tmp_path_factory.mktemp("prod"), {
        "DATABASE_URL": f"{POSTGRES}/{database}",
        "TRACKER_STORE_URL": f"{POSTGRES}/{tracker}",
        "REDIS_URL": REDIS_URL,
        "RASA_REPLICAS": "2",
        "ACTION_REPLICAS": "2",
        "ADAPTER_REPLICAS": "2",
        "TELEGRAM_MODE": "webhook",
        "WEBHOOK_SECRET": secrets.token_urlsafe(16),
    })
    try:
        yield stack
    finally:
        stop_stack(stack)
        for name in (database, tracker):
            try:
                asyncio.run(_admin(f'drop database if exists "{name}" with (force)'))
            except Exception as error:  # noqa: BLE001 - cleanup only
                print(f"could not drop {name}: {error}")


def test_the_layout_runs_every_replica(prod: Stack) -> None:
    names = [c.name for c in prod.children]
    for expected in ("action server 1", "action server 2", "rasa server 1", "rasa server 2",
                     "webhook balancer", "telegram adapter 1", "telegram adapter 2"):
        assert expected in names, names
    [reply] = prod.ask(50_001, "hello")
    assert prod.is_message(reply["text"], "en", "greet"), reply["text"]
    [results] = prod.ask(50_001, "any grants for fintech in Ghana?")
    assert prod.is_message(results["text"], "en", "results.found"), results["text"]


def test_forget_erases_everything_on_postgresql_and_redis(prod: Stack) -> None:
    """/forget with PostgreSQL (both databases), two Rasa replicas and Redis: every table and
    every Redis key scanned afterwards holds neither the founder's id nor their words."""
    import random

    from tests.e2e.erasure import leave_data_then_forget

    founder = random.randrange(7_000_000_000, 7_999_999_999)
    scanned = leave_data_then_forget(prod, founder)
    print(f"rows and keys scanned after the erasure: {scanned}")
    assert scanned["bot"] > 50 and scanned["tracker"] > 0 and scanned["redis_keys"] > 0


def test_killing_a_rasa_replica_mid_traffic_loses_and_doubles_nothing(prod: Stack) -> None:
    chats = list(range(60_001, 60_021))
    turns = ["hello", "thank you", "hi again", "thanks a lot"]
    victim = next(c for c in prod.children if c.name == "rasa server 1")
    # Chats whose conversations live on the replica we kill.
    affected = {c for c in chats if zlib.crc32(str(c).encode()) % 2 == 0}
    assert affected and len(affected) < len(chats)
    killed_at = 0.0
    for index, text in enumerate(turns):
        for chat in chats:
            prod.send(chat, text)
        if index == 1:
            time.sleep(0.3)  # in the middle of the second round's traffic
            assert victim.process is not None
            os.killpg(victim.process.pid, signal.SIGKILL)
            killed_at = time.monotonic()
        time.sleep(1.0)
    recovered: dict[int, float] = {}
    for chat in chats:
        replies = prod.replies(chat, count=len(turns), timeout=90)
        assert len(replies) == len(turns)
        if chat in affected:
            records = [r for r in prod.fake.message_records(chat) if r.received_at]
            after = [r.received_at for r in records if r.received_at >= killed_at]
            if after:
                recovered[chat] = min(after) - killed_at
    time.sleep(3)  # nothing more may arrive: every turn answered exactly once
    notices = 0
    for chat in chats:
        texts = [m["text"] for m in prod.fake.messages(chat)]
        answers = [t for t in texts if not prod.is_message(t, "en", "error.nlu_unavailable")]
        notices += len(texts) - len(answers)
        assert len(answers) == len(turns), (chat, texts)
        expected = ["greet", "thank", "greet", "thank"]
        assert all(prod.is_message(a, "en", m) for a, m in zip(answers, expected, strict=True)), (
            chat, answers)
    print(f"{notices} 'saved, will answer' notices were sent")
    slowest = max(recovered.values()) if recovered else 0.0
    print(f"{len(affected)} affected chats recovered within {slowest:.1f} s of the kill")
    prod.start_child("rasa server 1")


def test_a_webhook_call_with_a_wrong_secret_is_refused(prod: Stack) -> None:
    import urllib.error
    import urllib.request

    port = int(prod.env["WEBHOOK_PORT"])
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram", data=b'{"update_id": 1}', method="POST",
        headers={"X-Telegram-Bot-Api-Secret-Token": "wrong", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - localhost
    assert refused.value.code == 401
    logs = "".join(p.read_text() for p in Path(prod.tmp, "logs").glob("telegram-adapter*.log"))
    assert "wrong secret token" in logs


def _redis_restart() -> None:
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                    "--port", "6379", "--save", "", "--appendonly", "no",
                    "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"], check=True)
    deadline = time.monotonic() + 20
    while subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "Redis did not come back"
        time.sleep(0.2)


@pytest.mark.exclusive
def test_redis_going_away_and_coming_back(prod: Stack) -> None:
    chat = 70_001
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    try:
        prod.send(chat, "hello")
        time.sleep(3)
    finally:
        _redis_restart()
    replies = prod.replies(chat, count=1, timeout=60)
    texts = [m["text"] for m in replies]
    if prod.is_message(texts[0], "en", "error.nlu_unavailable"):
        texts += [m["text"] for m in prod.replies(chat, count=1, timeout=60)]
    assert prod.is_message(texts[-1], "en", "greet"), texts
    [after] = prod.ask(chat, "thank you", timeout=60)
    assert prod.is_message(after["text"], "en", "thank"), after["text"]


@pytest.mark.exclusive
def test_postgresql_going_away_and_coming_back(prod: Stack) -> None:
    chat = 70_002
    cluster = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],
                   check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
        assert time.monotonic() < deadline, "PostgreSQL did not come back"
        time.sleep(0.2)
    texts = [m["text"] for m in prod.ask(chat, "hello", timeout=60)]
    if not prod.is_message(texts[0], "en", "greet"):
        texts += [m["text"] for m in prod.replies(chat, count=1, timeout=60)]
    assert prod.is_message(texts[-1], "en", "greet"), texts

