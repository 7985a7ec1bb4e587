"""Webhook mode: the secret token is checked, updates are recorded before 200, duplicates once."""

from __future__ import annotations

import time
from typing import Any

from aiohttp.test_utils import TestClient

from bot.webhook import SECRET_HEADER
from hubdata import updates as update_log
from hubdata.db import transaction
from tests.conftest import WEBHOOK_SECRET

SECRET = WEBHOOK_SECRET


def update(update_id: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": int(time.time()), "text": "hello",
        "chat": {"id": 77, "type": "private", "first_name": "F"},
        "from": {"id": 77, "is_bot": False, "first_name": "F"}}}


async def test_wrong_or_missing_secret_is_refused_and_nothing_recorded(
    sessions: Any, webhook: tuple[TestClient, Any], caplog: Any
) -> None:
    client, application = webhook
    try:
        for headers in ({SECRET_HEADER: "wrong"}, {}):
            response = await client.post("/telegram", json=update(1), headers=headers)
            assert response.status == 401
        assert "wrong secret token" in caplog.text
        assert application.update_queue.empty()
        async with transaction(sessions) as session:
            assert await update_log.status_of(
                session, 1, bot_id=update_log.bot_id_from_token(application.bot.token)) is None
    finally:
        await client.close()


async def test_an_update_is_recorded_before_200_and_a_duplicate_is_queued_once(
    sessions: Any, webhook: tuple[TestClient, Any],
) -> None:
    client, application = webhook
    try:
        headers = {SECRET_HEADER: SECRET}
        bot_id = update_log.bot_id_from_token(application.bot.token)  # as the processor keys it
        assert (await client.post("/telegram", json=update(5), headers=headers)).status == 200
        async with transaction(sessions) as session:
            assert await update_log.status_of(session, 5, bot_id=bot_id) == update_log.PENDING
        async with transaction(sessions) as session:
            await update_log.finish(session, 5, update_log.DONE, bot_id=bot_id)
        assert (await client.post("/telegram", json=update(5), headers=headers)).status == 200
        assert application.update_queue.qsize() == 1
    finally:
        await client.close()


async def test_bodies_that_are_not_updates_are_refused(
    sessions: Any, webhook: tuple[TestClient, Any],
) -> None:
    client, application = webhook
    try:
        headers = {SECRET_HEADER: SECRET}
        assert (await client.post("/telegram", data=b"not json", headers=headers)).status == 400
        assert (await client.post("/telegram", json=[1, 2], headers=headers)).status == 400
        assert application.update_queue.empty()
    finally:
        await client.close()
