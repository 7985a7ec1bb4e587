"""The console's readiness: its database answers; no sign-in needed, as for /health."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from console.app import make_app
from hubdata.settings import Settings


async def test_ready_without_signing_in(client: TestClient) -> None:
    response = await client.get("/ready", allow_redirects=False)
    assert response.status == 200
    assert (await response.json())["status"] == "ready"


async def test_not_ready_when_the_database_points_nowhere() -> None:
    settings = Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    async with TestClient(TestServer(make_app(settings))) as client:
        assert (await client.get("/health")).status == 200
        response = await client.get("/ready", allow_redirects=False)
        assert response.status == 503
        assert "database" in (await response.json())["problems"]
