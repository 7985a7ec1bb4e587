"""The aiohttp server of the fake Telegram Bot API (``FakeTelegram``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from devtools.fake_telegram.control import add_control_routes
from devtools.fake_telegram.driver import FakeDriver
from devtools.fake_telegram.methods import call_method
from devtools.fake_telegram.records import JSON, ApiError, RequestRecord
from devtools.fake_telegram.webhook import WebhookSender

_LOGGER = logging.getLogger(__name__)


class FakeTelegram(FakeDriver):
    """A local server that speaks the Telegram Bot API, plus a test-side API to drive it.

    Use ``async with FakeTelegram(port=0) as fake:`` and give ``fake.base_url`` to PTB
    (``Bot(token, base_url=fake.base_url)``). See :class:`FakeDriver` for the test-side API.

    Args:
        host: The address to bind.
        port: The port (0 picks a free one; read it from ``fake.port`` after start).
        token: If given, requests with any other token get 401 Unauthorized.
        webhook_attempts: Deliveries per update before it is dropped.
        webhook_retry_delay: Seconds between webhook delivery attempts.
        **state_options: Passed to :class:`FakeState` (bot_id, bot_username, strict_chats ...).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.5,
        **state_options: Any,
    ) -> None:
        super().__init__(**state_options)
        self.host = host
        self.port = port
        self.token = token
        self._sender = WebhookSender(
            self, attempts=webhook_attempts, retry_delay=webhook_retry_delay
        )
        self._runner: web.AppRunner | None = None
        self._sender_task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        """The Bot API base URL for PTB, e.g. "http://127.0.0.1:8081/bot" (token appended)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def api_url(self) -> str:
        """The server root, e.g. "http://127.0.0.1:8081" (the control API is under /_control)."""
        return f"http://{self.host}:{self.port}"

    def make_app(self) -> web.Application:
        """Build the aiohttp application (Bot API routes and the control API)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot)
        add_control_routes(app, self)
        return app

    async def start(self) -> None:
        """Bind and start serving; ``port`` then holds the real port."""
        self.closing = False
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=0.25)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._sender_task = asyncio.create_task(self._sender.run(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """End pending long polls, stop webhook delivery and close the server."""
        self.closing = True
        self.notify()
        if self._sender_task is not None:
            self._sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender_task
            self._sender_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _handle_bot(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if self.token is not None and token != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return _json_response(exc.payload(), exc.error_code)
        self.requests_log.append(RequestRecord(method, params, time.monotonic(), token))
        try:
            result, description = await call_method(self, method, params)
        except ApiError as exc:
            return _json_response(exc.payload(), exc.error_code)
        except Exception:  # a bug in the fake must not look like a network failure
            _LOGGER.exception("fake Telegram: %s failed", method)
            return _json_response(ApiError(500).payload(), 500)
        body: JSON = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return _json_response(body, 200)


def _json_response(body: JSON, status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


async def _read_params(request: web.Request) -> JSON:
    """Merge query string and body (JSON, form-encoded or multipart) into one dict."""
    params: JSON = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("can't parse JSON object")
        params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            params[key] = {"filename": value.filename, "size": len(data), "content": data}
        else:
            params[key] = value
    return params
