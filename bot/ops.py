"""The adapter's operations server: ``/health``, ``/ready`` and ``/metrics`` (Prometheus).

It listens on ``OPS_HOST:OPS_PORT`` (replica *i* on ``OPS_PORT + i``), in polling and in
webhook mode alike, started and stopped with the adapter (``bot.lifecycle``). Counting in the
path of an update is an integer increment; the database and Rasa are asked only when scraped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.orm import sessionmaker
from telegram.request import RequestData

from bot.http_request import AiohttpRequest
from bot.processor import LoggedUpdateProcessor
from hubdata import ops, prometheus
from hubdata.settings import Settings

logger = logging.getLogger(__name__)
UPDATE_KINDS = ("message", "edited_message", "callback_query", "channel_post",
                "edited_channel_post", "my_chat_member", "chat_member", "inline_query",
                "message_reaction", "poll", "poll_answer")
MESSAGE_METHODS = ("send", "edit", "copy", "forward")  # Bot API methods that post a message


def update_kind(update: object) -> str:
    """What an update carries (``message``, ``callback_query``...; ``other``)."""
    return next((kind for kind in UPDATE_KINDS if getattr(update, kind, None) is not None),
                "other")


@dataclass
class AdapterMetrics:
    """What the adapter counts while it runs (since its start)."""

    updates_in: prometheus.Counter = field(default_factory=lambda: prometheus.Counter(
        "emergebot_updates_received_total", "Updates received from Telegram, by kind.", "kind"))
    messages_out: prometheus.Counter = field(default_factory=lambda: prometheus.Counter(
        "emergebot_messages_sent_total",
        "Bot API calls that posted or edited a message, by method.", "method"))
    errors: prometheus.Counter = field(default_factory=lambda: prometheus.Counter(
        "emergebot_handler_errors_total",
        "Errors while handling an update: retry (transient) or failed.", "outcome"))
    latency: prometheus.Histogram = field(default_factory=lambda: prometheus.Histogram(
        "emergebot_update_seconds", "Seconds from an update's receipt to done."))


class MeteredUpdateProcessor(LoggedUpdateProcessor):
    """The update-log processor, counting each update and timing it from receipt to done."""

    def __init__(self, metrics: AdapterMetrics, *args: Any, **kwargs: Any) -> None:
        """``metrics`` receives the counts; the rest is ``LoggedUpdateProcessor``'s."""
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Count the update, handle it, observe how long it took."""
        self.metrics.updates_in.inc(update_kind(update))
        started = time.monotonic()
        try:
            await super().do_process_update(update, coroutine)
        finally:
            self.metrics.latency.observe(time.monotonic() - started)


class CountingRequest(AiohttpRequest):
    """The Bot API request class, counting the calls that post or edit a message."""

    __slots__ = ("counter",)

    def __init__(self, counter: prometheus.Counter, **kwargs: Any) -> None:
        """``counter`` counts successful message calls by method."""
        super().__init__(**kwargs)
        self.counter = counter

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Send the request; count it when it posted or edited a message."""
        status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        name = url.rsplit("/", 1)[-1]
        if status == 200 and name.startswith(MESSAGE_METHODS):
            self.counter.inc(name)
        return status, body


def ops_port(settings: Settings, replica: int) -> int:
    """The operations port of one adapter replica."""
    return settings.ops_port + replica


class OpsServer:
    """The adapter's ``/health``, ``/ready`` and ``/metrics``."""

    def __init__(self, settings: Settings, sessions: sessionmaker, metrics: AdapterMetrics,
                 replica: int = 0) -> None:
        """Prepare the server of adapter replica ``replica``; ``start()`` listens."""
        self.settings = settings
        self.port = ops_port(settings, replica)
        self.metrics = metrics
        self._sessions = sessions
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Listen on the ops port (a port in use is logged, and the adapter runs without)."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3))
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.settings.ops_host, self.port).start()
        except OSError as error:
            logger.error("operations server could not listen on %s:%s: %s",
                         self.settings.ops_host, self.port, error)
            await runner.cleanup()
            return
        self._runner = runner
        logger.info("operations server on http://%s:%s/metrics", self.settings.ops_host,
                    self.port)

    @property
    def url(self) -> str | None:
        """Where the server listens (None: not listening)."""
        if self._runner is None or not self._runner.addresses:
            return None
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop listening and close the HTTP session."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    def make_app(self) -> web.Application:
        """The aiohttp application of the three endpoints."""
        app = web.Application()
        app.router.add_get("/health", self.health)
        app.router.add_get("/ready", self.ready)
        app.router.add_get("/metrics", self.scrape)
        return app

    async def health(self, _request: web.Request) -> web.Response:
        """The process is up."""
        return web.json_response({"status": "ok"})

    async def ready(self, _request: web.Request) -> web.Response:
        """The adapter can serve: its database answers and a Rasa replica is ready."""
        database, rasa = await asyncio.gather(ops.database_ready(self._sessions),
                                              self.rasa_models())
        problems = {}
        if database is not None:
            problems["database"] = database
        if all(model is None for model in rasa.values()):
            problems["rasa"] = "no replica ready"
        body = {"status": "not ready" if problems else "ready", "problems": problems,
                "rasa": {url: model is not None for url, model in rasa.items()}}
        return web.json_response(body, status=503 if problems else 200)

    async def rasa_models(self) -> dict[str, str | None]:
        """Each Rasa replica's loaded model file (None: not reachable or not ready)."""
        async def one(url: str) -> str | None:
            assert self._http is not None
            try:
                async with self._http.get(url + ops.RASA_READY_PATH) as response:
                    if response.status != 200:
                        return None
                    return str((await response.json()).get("model") or "")
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                return None

        urls = self.settings.rasa_urls
        return dict(zip(urls, await asyncio.gather(*(one(u) for u in urls)), strict=True))

    async def scrape(self, _request: web.Request) -> web.Response:
        """Every metric, in the Prometheus text format."""
        text = prometheus.render(await self.blocks())
        return web.Response(body=text.encode(), headers={"Content-Type": prometheus.CONTENT_TYPE})

    async def blocks(self) -> list[list[str]]:
        """The exposition's blocks: the counters, then what the database and Rasa say now."""
        m = self.metrics
        blocks = [m.updates_in.lines(), m.messages_out.lines(), m.errors.lines(),
                  m.latency.lines()]
        models = await self.rasa_models()
        blocks.append(prometheus.gauge(
            "emergebot_model_info", "The model each Rasa replica serves (value 1).",
            {(("replica", str(i)), ("model", model)): 1
             for i, model in enumerate(models.values()) if model is not None}))
        sessions = self._sessions
        up = await ops.database_ready(sessions) is None
        blocks.append(prometheus.gauge("emergebot_database_up",
                                       "Whether the database answers (1) or not (0).",
                                       {(): int(up)}))
        if up:
            try:
                backlog = await ops.update_backlog(sessions)
                tickets = await ops.open_tickets(sessions)
                breaches = await ops.sla_breaches(sessions)
            except Exception:  # noqa: BLE001 - a scrape must answer even so
                logger.exception("could not read the database's figures for /metrics")
                return blocks
            blocks.append(prometheus.gauge(
                "emergebot_update_backlog", "Recorded updates not done yet, by status.",
                {(("status", k),): v for k, v in backlog.items()}))
            blocks.append(prometheus.gauge(
                "emergebot_open_tickets", "Open staff desk tickets, by status.",
                {(("status", k),): v for k, v in tickets.items()}))
            blocks.append(prometheus.gauge(
                "emergebot_sla_breached_tickets",
                "Open tickets past their SLA target now, by clock.",
                {(("clock", k),): v for k, v in breaches.items()}))
        return blocks
