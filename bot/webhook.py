"""Webhook mode: Telegram POSTs updates to an aiohttp endpoint that checks the secret token.

Several adapter replicas can share the load behind a TLS reverse proxy. Each update is recorded
in the update log before the endpoint answers 200, so an update Telegram handed over is not
lost if the replica dies before handling it; a database that is down gets 503 and Telegram
retries later.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.lifecycle import running, until_stopped
from bot.resources import BotResources
from bot.telegram_bot import emptied, is_bigint, scrub, usable
from hubdata import updates as update_log
from hubdata.db import transaction
from hubdata.logs import personal
from hubdata.settings import Settings

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def webhook_port(settings: Settings, replica: int) -> int:
    """The port of one adapter replica (the port before them is the local balancer's)."""
    return settings.webhook_port + 1 + replica


def public_url(settings: Settings) -> str:
    """The URL Telegram posts to: the TLS proxy's, or the local balancer's."""
    return settings.webhook_url or (
        f"http://{settings.webhook_host}:{settings.webhook_port}/telegram")


def make_app(application: Application, secret: str) -> web.Application:
    """The aiohttp application receiving Telegram's POSTs."""
    resources: BotResources = application.bot_data

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            logger.warning("refused a webhook call from %s: wrong secret token", request.remote)
            return web.Response(status=401)
        try:
            data = json.loads(await request.read())
        except (ValueError, RecursionError):  # RecursionError: nested too deep to decode
            logger.warning("refused a webhook call: body is not JSON")
            return web.Response(status=400)
        if not isinstance(data, dict) or not is_bigint(data.get("update_id")):
            logger.warning("refused a webhook call without an update id")
            return web.Response(status=400)
        data = scrub(data)
        try:
            update = Update.de_json(data, application.bot)
        except Exception:  # noqa: BLE001 - malformed: keep the id so it is recorded once
            logger.error("malformed update %s: %.300r", data["update_id"], personal(data))
            update = Update(data["update_id"])
        if not usable(update):
            update = emptied(update)
        try:
            async with transaction(resources.sessions) as session:
                chat = update.effective_chat.id if update.effective_chat else None
                # as the processor records it (the same key and content), so that it finds
                # this row and takes it as the same update
                row = await update_log.record(session, update.update_id, chat, update.to_dict(),
                                         bot_id=update_log.bot_id_from_token(application.bot.token))
        except SQLAlchemyError:
            logger.exception("database unavailable: update %s refused for now", update.update_id)
            return web.Response(status=503)
        if row is not None:  # None: already handled (a duplicate delivery)
            await application.update_queue.put(update)
        return web.Response(status=200)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/telegram", receive)
    app.router.add_get("/health", health)
    return app


async def run_webhook(settings: Settings, replica: int) -> None:
    """Serve the webhook until SIGINT or SIGTERM, with the adapter's full lifecycle."""
    if not settings.webhook_secret:
        raise SystemExit("TELEGRAM_MODE=webhook needs WEBHOOK_SECRET")
    async with running(settings, replica) as application:
        await application.bot.set_webhook(public_url(settings),
                                          secret_token=settings.webhook_secret,
                                          allowed_updates=Update.ALL_TYPES)
        runner = web.AppRunner(make_app(application, settings.webhook_secret), access_log=None)
        await runner.setup()
        port = webhook_port(settings, replica)
        await web.TCPSite(runner, settings.webhook_host, port).start()
        print(f"telegram adapter {replica + 1} receiving webhooks on "
              f"http://{settings.webhook_host}:{port}/telegram", flush=True)
        try:
            await until_stopped()
        finally:
            await runner.cleanup()
