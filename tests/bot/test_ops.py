"""The adapter's operations server: /health, /ready and /metrics over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Update

from bot.lifecycle import assemble
from bot.ops import OpsServer
from bot.rasa_client import CHANNEL_PATH
from devtools.fake_telegram import FakeTelegram
from hubdata import prometheus
from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.models import Ticket
from hubdata.ops import RASA_READY_PATH
from hubdata.settings import Settings

MODEL = "emergebot-0123456789ab.tar.gz"


@pytest.fixture
async def rasa() -> AsyncIterator[TestServer]:
    """A stand-in for a Rasa server with its model loaded (a fresh port each time)."""
    app = web.Application()

    async def ready(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ready", "model": MODEL})

    async def channel(_request: web.Request) -> web.Response:
        return web.json_response(["not a message"])  # a reply no adapter can render

    app.router.add_get(RASA_READY_PATH, ready)
    app.router.add_post(CHANNEL_PATH, channel)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(port=0) as server:
        yield server


@asynccontextmanager
async def adapter(settings: Settings) -> AsyncIterator[tuple[Any, OpsServer]]:
    """An adapter with its resources open and its ops server listening (not serving)."""
    async with AsyncExitStack() as stack:
        application = await assemble(stack, settings)
        resources = application.bot_data
        await stack.enter_async_context(application)
        await resources.ops.start()
        stack.push_async_callback(resources.ops.stop)
        assert resources.ops.url is not None
        yield application, resources.ops


def settings_for(rasa_port: int, api_url: str, database_url: str) -> Settings:
    return Settings(telegram_api_url=api_url, rasa_port=rasa_port, ops_port=0,
                    database_url=database_url)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def message(update_id: int, text: str, chat_id: int = 501) -> dict[str, Any]:
    entities = ([{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/") else [])
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "entities": entities,
        "chat": {"id": chat_id, "type": "private", "first_name": "F"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "F", "language_code": "en"}}}


def test_the_exposition_parses_back() -> None:
    counter = prometheus.Counter("x_total", "Xs.", "kind")
    counter.inc("a")
    counter.inc('b"\n\\', 2)
    histogram = prometheus.Histogram("y_seconds", "Ys.", buckets=(0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 3.0):
        histogram.observe(value)
    text = prometheus.render([counter.lines(), histogram.lines(),
                              prometheus.gauge("z", "Zs.", {(("s", "open"),): 4})])
    samples = prometheus.parse(text)
    assert samples["x_total", (("kind", "a"),)] == 1
    assert samples["x_total", (("kind", 'b"\n\\'),)] == 2
    assert [samples["y_seconds_bucket", (("le", le),)] for le in ("0.1", "1.0", "+Inf")] == [
        2, 3, 4]
    assert samples["y_seconds_count", ()] == 4 and samples["y_seconds_sum", ()] == 3.65
    assert samples["z", (("s", "open"),)] == 4
    assert "# TYPE y_seconds histogram" in text and text.endswith("\n")


async def test_health_ready_and_metrics_report_the_database_and_rasa(
    database_url: str, sessions: Any, rasa: TestServer, fake: FakeTelegram,
) -> None:
    now = datetime.now(timezone.utc)
    async with transaction(sessions) as session:
        await update_log.record(session, 900, 501, message(900, "hi"))
        session.add(Ticket(founder_id=501, founder_chat_id=501, language="en",
                           reason="request_human", status="waiting",
                           created_at=now - timedelta(hours=8),
                           first_response_due=now - timedelta(hours=4),
                           resolution_due=now + timedelta(hours=40)))
    async with adapter(settings_for(rasa.port, fake.base_url, database_url)) as (_, ops):
        assert (await get(f"{ops.url}/health"))[0] == 200
        status, body = await get(f"{ops.url}/ready")
        assert status == 200 and '"ready"' in body
        status, text = await get(f"{ops.url}/metrics")
        assert status == 200
    samples = prometheus.parse(text)
    assert samples["emergebot_model_info", (("replica", "0"), ("model", MODEL))] == 1
    assert samples["emergebot_database_up", ()] == 1
    assert samples["emergebot_update_backlog", (("status", "pending"),)] == 1
    assert samples["emergebot_update_backlog", (("status", "retry"),)] == 0
    assert samples["emergebot_open_tickets", (("status", "waiting"),)] == 1
    assert samples["emergebot_open_tickets", (("status", "claimed"),)] == 0
    assert samples["emergebot_sla_breached_tickets", (("clock", "first_response"),)] == 1
    assert samples["emergebot_sla_breached_tickets", (("clock", "resolution"),)] == 0
    assert samples["emergebot_update_seconds_count", ()] == 0


async def test_not_ready_when_the_database_points_nowhere_and_rasa_is_gone(
    fake: FakeTelegram,
) -> None:
    rasa_gone = TestServer(web.Application(), host="127.0.0.1", port=0)
    await rasa_gone.start_server()
    port = rasa_gone.port
    await rasa_gone.close()  # nothing listens there now
    nowhere = "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"
    async with adapter(settings_for(port, fake.base_url, nowhere)) as (_, ops):
        assert (await get(f"{ops.url}/health"))[0] == 200  # up, though it cannot serve
        status, body = await get(f"{ops.url}/ready")
        assert status == 503 and '"database"' in body and '"rasa"' in body
        status, text = await get(f"{ops.url}/metrics")
    assert status == 200
    samples = prometheus.parse(text)
    assert samples["emergebot_database_up", ()] == 0
    assert not any(name == "emergebot_model_info" for name, _ in samples)


async def test_counters_move_when_messages_flow(
    database_url: str, sessions: Any, rasa: TestServer, fake: FakeTelegram,
) -> None:
    settings = settings_for(rasa.port, fake.base_url, database_url)
    async with adapter(settings) as (application, ops):
        processor = application.update_processor
        for update_id, text in ((1, "/help"), (2, "/help"), (3, "any grants?")):
            update = Update.de_json(message(update_id, text), application.bot)
            await processor.process_update(update, application.process_update(update))
        status, text = await get(f"{ops.url}/metrics")
    samples = prometheus.parse(text)
    assert samples["emergebot_updates_received_total", (("kind", "message"),)] == 3
    # two help texts, and the failed third (the stand-in Rasa answers nonsense) is told of its
    # error
    assert samples["emergebot_messages_sent_total", (("method", "sendMessage"),)] == 3
    assert samples["emergebot_handler_errors_total", (("outcome", "failed"),)] == 1
    assert samples["emergebot_update_seconds_count", ()] == 3
    assert samples["emergebot_update_seconds_bucket", (("le", "+Inf"),)] == 3
    async with transaction(sessions) as session:
        bot_id = update_log.bot_id_from_token(application.bot.token)
        assert await update_log.status_of(session, 3, bot_id=bot_id) == update_log.FAILED
