"""The console's founder data page: what is kept, a copy, and erasure (confirmed, audited)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.models import AuditEntry, Founder, Ticket
from hubdata.settings import Settings
from tests.console.conftest import sign_in, token_for
from tests.e2e.harness import free_port
from tests.hubdata.desk.conftest import AMINA, FOUNDER, STAFF_GROUP, T0, request


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The test database; no Rasa listening, so its tracker store (here) is cleared directly."""
    return Settings(database_url=database_url, staff_chat_id=STAFF_GROUP,
                    tracker_store_db=str(tmp_path / "tracker.db"), rasa_port=free_port())


async def test_staff_see_export_and_erase_a_founders_data(
        client: TestClient, team: sessionmaker, settings: Settings) -> None:
    await request(team, settings, T0)
    csrf = await sign_in(client, await token_for(team, AMINA))
    page = await (await client.get("/founders", params={"user_id": str(FOUNDER)})).text()
    assert "<code>tickets</code></td><td>1</td>" in page
    assert "<code>founders</code></td><td>1</td>" in page

    export = await client.post(f"/founders/{FOUNDER}/export", data={"csrf": csrf})
    assert export.status == 200
    assert "attachment" in export.headers["Content-Disposition"]
    data = json.loads(await export.read())
    assert data["founders"][0]["user_id"] == FOUNDER and data["tickets"]

    refused = await client.post(f"/founders/{FOUNDER}/forget", data={"csrf": csrf})
    assert "Nothing was erased: tick the box" in await refused.text()
    async with transaction(team) as session:
        assert await session.get(Founder, FOUNDER) is not None

    done = await client.post(f"/founders/{FOUNDER}/forget",
                             data={"csrf": csrf, "confirm": "yes"})
    assert "Erased:" in await done.text()
    async with transaction(team) as session:
        assert await session.get(Founder, FOUNDER) is None
        assert (await session.execute(select(Ticket))).scalars().all() == []
        actions = [(e.action, e.actor_id, e.channel) for e in
                   (await session.execute(select(AuditEntry))).scalars()]
    assert ("founder_forget", AMINA, "console") in actions
    assert ("founder_export", AMINA, "console") in actions
    after = await (await client.get("/founders", params={"user_id": str(FOUNDER)})).text()
    assert f"Nothing is kept about founder {FOUNDER}" in after


async def test_a_forget_without_the_csrf_token_is_refused(
        client: TestClient, team: sessionmaker) -> None:
    await sign_in(client, await token_for(team, AMINA))
    response = await client.post(f"/founders/{FOUNDER}/forget", data={"confirm": "yes"})
    assert response.status == 403
    async with transaction(team) as session:
        assert await session.get(Founder, FOUNDER) is not None


async def test_staff_mute_and_unmute_a_founder_from_the_console(
        client: TestClient, team: sessionmaker) -> None:
    csrf = await sign_in(client, await token_for(team, AMINA))
    page = await (await client.get("/founders", params={"user_id": str(FOUNDER)})).text()
    assert f'action="/founders/{FOUNDER}/mute"' in page
    muted = await (await client.post(f"/founders/{FOUNDER}/mute", data={"csrf": csrf})).text()
    assert f"Founder {FOUNDER} is muted" in muted and f'/founders/{FOUNDER}/unmute"' in muted
    async with transaction(team) as session:
        founder = await session.get(Founder, FOUNDER)
        assert founder.muted_at is not None and founder.muted_by == AMINA
    back = await (await client.post(f"/founders/{FOUNDER}/unmute", data={"csrf": csrf})).text()
    assert f"Founder {FOUNDER} is no longer muted" in back
    unknown = await (await client.post("/founders/123/mute", data={"csrf": csrf})).text()
    assert "123" in unknown and "muted" not in unknown.split("flash")[1][:200]
    async with transaction(team) as session:
        assert (await session.get(Founder, FOUNDER)).muted_at is None
        actions = [e.action for e in (await session.execute(select(AuditEntry))).scalars()]
    assert actions.count("mute") == 2 and actions.count("unmute") == 1  # the refusal audited
