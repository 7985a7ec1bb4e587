"""Hostile POSTs to the webhook endpoint (bot/webhook.py ``make_app``), in process.

Throws: every kind of hostile update from ``tests/fuzz/hostile.py`` (random JSON, wrong types,
missing fields, deep nesting, huge entities and captions, lone surrogates and NULs, unknown
update kinds, forged callback data), then bodies that are not updates at all (random bytes,
invalid UTF-8, JSON that is not an object, missing or mistyped update ids, JSON nested
hundreds of thousands deep, bodies over the 1 MiB limit) and calls with a wrong secret.

Asserts: no call gets a 500; an update with an id gets 200 and is recorded and queued exactly
once (a redelivery is not queued again); everything else gets 400, 401 or 413 and leaves no
trace; a valid update sent after the storm is still recorded and queued.
"""

from __future__ import annotations

import collections
import random
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.webhook import SECRET_HEADER
from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.models import IncomingUpdate
from tests.bot.test_webhook import SECRET, update
from tests.fuzz import hostile

SEED = 20261207
UPDATE_KINDS = {"random_json": 150, "wrong_types": 200, "missing_fields": 120,
                "deep_nesting": 60, "huge_entities": 20, "odd_unicode": 150,
                "unknown_kind": 120, "forged_callback": 150, "valid": 60}
BODY_KINDS = {"not_json": 150, "invalid_utf8": 100, "not_an_object": 60, "no_update_id": 50,
              "bad_update_id": 60, "deep_json": 12, "oversized": 4, "random_object": 100}
WRONG_SECRETS = ("", "wrong", SECRET + " ", SECRET.upper(), "\u00e9t\u00e9", SECRET[:-1])


async def _statuses(session: Any, update_id: int) -> set[str]:
    """The statuses recorded for an update id, whatever bot id it was recorded under."""
    query = select(IncomingUpdate.status).where(IncomingUpdate.update_id == update_id)
    return set((await session.execute(query)).scalars())


def _json_decodes(body: bytes) -> bool:
    """Whether ``json.loads`` reads the bytes: it decodes UTF-8 with "surrogatepass", so an
    encoded lone surrogate (b"\\xed\\xa0\\x80") passes and arrives as one in the text."""
    try:
        body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


async def test_hostile_webhook_calls_never_fail_and_updates_are_queued_once(
    sessions: Any, webhook: tuple[Any, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    client, application = webhook
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    tried: collections.Counter[str] = collections.Counter()
    statuses: collections.Counter[tuple[str, int]] = collections.Counter()
    started = time.monotonic()
    try:
        ids: list[int] = []
        failures: list[tuple[str, int, Any]] = []
        for offset, case in enumerate(hostile.cases(rng, UPDATE_KINDS, first_chat=900_000)):
            update_id = 1_000 + offset
            body = hostile.dumps({"update_id": update_id, **case.update})
            response = await client.post("/telegram", data=body, headers=headers)
            tried[case.kind] += 1
            statuses[(case.kind, response.status)] += 1
            if response.status != 200:
                failures.append((case.kind, response.status, case.update))
            ids.append(update_id)
        for kind, status, body in failures[:20]:
            print("FAIL", kind, status, repr(body)[:400])
        assert not failures, len(failures)
        for _ in range(50):  # redelivered: recorded once, not queued again
            update_id = rng.choice(ids)
            assert (await client.post("/telegram", data=hostile.dumps({"update_id": update_id}),
                                      headers=headers)).status == 200
            tried["redelivery"] += 1
        queued = application.update_queue.qsize()
        for kind, body in hostile.raw_bodies(rng, BODY_KINDS, first_id=50_000):
            response = await client.post("/telegram", data=body, headers=headers)
            tried[kind] += 1
            statuses[(kind, response.status)] += 1
            if kind == "random_object" or kind == "invalid_utf8" and _json_decodes(body):
                assert response.status == 200, body[:300]
                queued += 1
            elif kind == "oversized":
                assert response.status == 413
            else:
                assert response.status == 400, (kind, body[:300])
        for secret in WRONG_SECRETS:
            for body in (hostile.dumps(update(77_000)), b"not json"):
                response = await client.post("/telegram", data=body,
                                             headers={SECRET_HEADER: secret})
                tried["wrong_secret"] += 1
                assert response.status == 401
        tried["no_secret"] += 1
        assert (await client.post("/telegram", data=hostile.dumps(update(77_001)))).status == 401
        # Every update was queued once: a redelivery of an unfinished update is not re-queued.
        assert application.update_queue.qsize() == queued
        async with transaction(sessions) as session:
            assert await _statuses(session, 77_000) == set()
            for update_id in rng.sample(ids, 50):
                assert await _statuses(session, update_id) == {update_log.PENDING}
        # After the storm, a valid update still goes through.
        response = await client.post("/telegram", data=hostile.dumps(update(99_999)),
                                     headers=headers)
        assert response.status == 200
        assert application.update_queue.qsize() == queued + 1
    finally:
        await client.close()
    with capsys.disabled():
        counts = " ".join(f"{kind}={count}" for kind, count in sorted(tried.items()))
        print(f"\nwebhook fuzz: {sum(tried.values())} calls in "
              f"{time.monotonic() - started:.1f} s: {counts}")


async def test_a_webhook_update_is_finished_once_the_processor_has_handled_it(
    sessions: Any, webhook: tuple[Any, Any],
) -> None:
    """The webhook records an update under the key the processor marks (found by the storm:
    both used to differ in bot id, so every webhook row stayed pending)."""
    client, application = webhook
    try:
        headers = {SECRET_HEADER: SECRET}
        assert (await client.post("/telegram", json=update(5), headers=headers)).status == 200
        queued = application.update_queue.get_nowait()

        async def handled() -> None:
            """What the handlers do with it: nothing that fails."""

        await application.update_processor.do_process_update(queued, handled())
        async with transaction(sessions) as session:
            left = await update_log.unfinished(session, (update_log.PENDING, update_log.RETRY))
        assert [row.update_id for row in left] == []
    finally:
        await client.close()
