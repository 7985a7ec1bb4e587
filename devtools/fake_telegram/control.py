"""The control HTTP API of the fake server, for other processes (terminal chat, benchmarks).

All answers are ``{"ok": true, "result": ...}`` or ``{"ok": false, "description": ...}``:

- ``POST /_control/send`` ``{"chat_id", "text", "language_code"?, "user_id"?, "first_name"?,
  "chat_type"?}`` queues a user message; result: the update (plus ``queued_at``, the
  ``time.monotonic()`` of queuing, at the top level).
- ``POST /_control/click`` ``{"chat_id", "message_id", "data", "forge"?}`` presses a button.
- ``POST /_control/update`` ``{"update": {...}}`` queues an arbitrary update.
- ``GET /_control/messages?chat_id=&after=<seq>&timeout=<s>`` long-polls for bot-side events
  (``seq``, ``kind`` message|edit|delete, ``message``, ``latency`` ...) with ``seq > after``;
  ``last_seq`` is the newest sequence number.
- ``POST /_control/fail`` ``{"method", "error_code"?, "retry_after"?, "times"?}`` and
  ``POST /_control/block`` ``{"chat_id", "blocked"?}`` inject errors.
- ``GET /_control/state`` reports queue, webhook and per-turn latencies.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from devtools.fake_telegram.driver import FakeDriver

MAX_POLL_SECONDS = 60.0
Handler = Callable[[web.Request], Awaitable[web.Response]]


def _ok(result: Any, **extra: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result, **extra})


def _fail(description: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, json.JSONDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _guard(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except (KeyError, ValueError, TypeError, LookupError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            return _fail(detail)

    return wrapped


def add_control_routes(app: web.Application, fake: FakeDriver) -> None:
    """Register the /_control/* routes for ``fake`` on ``app``."""

    async def send(request: web.Request) -> web.Response:
        body = await _body(request)
        update = await fake.send_text(
            int(body["chat_id"]),
            str(body["text"]),
            user_id=None if body.get("user_id") is None else int(body["user_id"]),
            language_code=body.get("language_code", "en"),
            chat_type=str(body.get("chat_type", "private")),
            first_name=str(body.get("first_name", "Founder")),
        )
        return _ok(update, queued_at=fake.update_times[update["update_id"]])

    async def click(request: web.Request) -> web.Response:
        body = await _body(request)
        update = await fake.click(
            int(body["chat_id"]),
            int(body["message_id"]),
            str(body["data"]),
            user_id=None if body.get("user_id") is None else int(body["user_id"]),
            forge=bool(body.get("forge", False)),
        )
        return _ok(update, queued_at=fake.update_times[update["update_id"]])

    async def update(request: web.Request) -> web.Response:
        body = await _body(request)
        payload = body.get("update", body)
        if not isinstance(payload, dict):
            raise ValueError("update must be a JSON object")
        queued = await fake.send_update(payload)
        return _ok(queued, queued_at=fake.update_times[queued["update_id"]])

    async def messages(request: web.Request) -> web.Response:
        query = request.query
        chat_id = int(query["chat_id"]) if query.get("chat_id") else None
        after = int(query.get("after", "0"))
        timeout = min(max(float(query.get("timeout", "0")), 0.0), MAX_POLL_SECONDS)
        events = await fake.events_after(after, chat_id=chat_id, timeout=timeout)
        return _ok([e.to_json() for e in events], last_seq=fake.mark())

    async def fail(request: web.Request) -> web.Response:
        body = await _body(request)
        fake.fail_next(
            str(body["method"]),
            int(body.get("error_code", 429)),
            retry_after=None if body.get("retry_after") is None else int(body["retry_after"]),
            times=int(body.get("times", 1)),
            description=body.get("description"),
        )
        return _ok(True)

    async def block(request: web.Request) -> web.Response:
        body = await _body(request)
        if body.get("blocked", True):
            fake.block_chat(int(body["chat_id"]))
        else:
            fake.unblock_chat(int(body["chat_id"]))
        return _ok(True)

    async def state(request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"]) if request.query.get("chat_id") else None
        return _ok(
            {
                "last_seq": fake.mark(),
                "pending_update_count": len(fake.queue),
                "webhook_url": fake.webhook.url if fake.webhook else "",
                "requests": len(fake.requests_log),
                "latencies": fake.latencies(chat_id),
            }
        )

    routes = [
        ("POST", "/_control/send", send),
        ("POST", "/_control/click", click),
        ("POST", "/_control/update", update),
        ("GET", "/_control/messages", messages),
        ("POST", "/_control/fail", fail),
        ("POST", "/_control/block", block),
        ("GET", "/_control/state", state),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, path, _guard(handler))
