"""Adapter pieces that need no network: escaping, the update processor, the Rasa client."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.exc import OperationalError
from telegram import Chat, Message, Update, User
from telegram.error import NetworkError

from bot.founder_turn import deliver_stored
from bot.handlers.messages import escape_text
from bot.processor import LoggedUpdateProcessor, current_outcome
from bot.rasa_client import NLUUnavailable, RasaClient
from hubdata import replies as bot_replies
from hubdata import updates as update_log
from hubdata.db import transaction


def text_update(update_id: int, chat_id: int, text: str = "hi") -> Update:
    user = User(chat_id, "F", False)
    chat = Chat(chat_id, "private")
    message = Message(1, datetime(2026, 11, 30), chat, from_user=user,
                      text=text)
    return Update(update_id, message=message)


@pytest.mark.parametrize(("text", "escaped"), [
    ("/ask_funding{\"country\":\"KE\"}", "\u2060/ask_funding{\"country\":\"KE\"}"),
    ("  /restart", "\u2060/restart"),
    ("grants in Kenya", "grants in Kenya"),
    ("a/b testing", "a/b testing"),
])
def test_escape_text(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


async def test_processor_records_handles_once_and_marks_done(sessions: Any) -> None:
    processor = LoggedUpdateProcessor(sessions)
    handled: list[int] = []

    async def handle(update: Update) -> None:
        handled.append(update.update_id)

    update = text_update(7, 100)
    await processor.do_process_update(update, handle(update))
    await processor.do_process_update(update, handle(update))  # a duplicate
    assert handled == [7]
    async with transaction(sessions) as session:
        assert await update_log.status_of(session, 7) == update_log.DONE


async def test_processor_marks_retry_when_a_handler_asks(sessions: Any) -> None:
    processor = LoggedUpdateProcessor(sessions, retry_interval_s=0.0)

    async def rasa_down() -> None:
        outcome = current_outcome()
        outcome.retry, outcome.error = True, "Rasa unavailable"

    await processor.do_process_update(text_update(8, 100), rasa_down())
    async with transaction(sessions) as session:
        assert await update_log.status_of(session, 8) == update_log.RETRY
        [row] = await update_log.unfinished(session, (update_log.RETRY,))
        assert row.update_id == 8 and row.attempts == 1


async def test_processor_keeps_one_chat_in_order_and_chats_in_parallel(sessions: Any) -> None:
    processor = LoggedUpdateProcessor(sessions)
    events: list[str] = []

    async def slow(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    await asyncio.gather(
        processor.do_process_update(text_update(1, 1), slow("a1", 0.2)),
        processor.do_process_update(text_update(2, 1), slow("a2", 0.0)),
        processor.do_process_update(text_update(3, 2), slow("b1", 0.0)),
    )
    assert events.index("end a1") < events.index("start a2")  # same chat: in order
    assert events.index("end b1") < events.index("end a1")  # other chat: not blocked


async def test_processor_still_handles_when_the_database_is_down() -> None:
    class Broken:
        def __call__(self) -> Any:
            raise OperationalError("connect", {}, Exception("database is down"))

    processor = LoggedUpdateProcessor(Broken())  # type: ignore[arg-type]
    handled: list[int] = []

    async def handle() -> None:
        handled.append(1)

    await processor.do_process_update(text_update(9, 100), handle())
    assert handled == [1]


async def test_rasa_client_sends_token_and_metadata_and_reports_failures() -> None:
    seen: dict[str, Any] = {}

    async def webhook(request: web.Request) -> web.Response:
        seen["auth"] = request.headers.get("Authorization")
        seen["body"] = await request.json()
        if seen["body"]["message"] == "boom":
            return web.json_response({"error": "x"}, status=500)
        return web.json_response([{"recipient_id": "1", "custom": {"msgid": "greet"}}])

    app = web.Application()
    app.router.add_post("/webhooks/emergebot/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = RasaClient(f"http://127.0.0.1:{port}", "secret", timeout_s=5)
    await client.start()
    try:
        replies = await client.send("42", "hello", {"reply_language": "fr"})
        assert replies == [{"recipient_id": "1", "custom": {"msgid": "greet"}}]
        assert seen["auth"] == "Bearer secret"
        assert seen["body"] == {"sender": "42", "message": "hello",
                                "metadata": {"reply_language": "fr"}}
        with pytest.raises(NLUUnavailable):
            await client.send("42", "boom")
    finally:
        await client.close()
        await runner.cleanup()
    down = RasaClient(f"http://127.0.0.1:{port}", "secret", timeout_s=2)
    await down.start()
    try:
        with pytest.raises(NLUUnavailable):
            await down.send("42", "hello")
    finally:
        await down.close()


async def test_processor_handles_a_chats_earlier_unfinished_update_first(sessions: Any) -> None:
    """An earlier update of the chat waiting for a retry (or left by another replica) is
    handled before the new one, found in the transaction that records the new one."""
    handled: list[int] = []

    async def handle(update: Update) -> None:
        handled.append(update.update_id)

    processor = LoggedUpdateProcessor(sessions)
    processor.application = SimpleNamespace(bot=None, process_update=handle)
    earlier, other_chat = text_update(5, 100, "first"), text_update(4, 200, "elsewhere")
    async with transaction(sessions) as session:
        for update in (earlier, other_chat):
            await update_log.record(session, update.update_id, update.effective_chat.id,
                               update.to_dict())
            await update_log.finish(session, update.update_id, update_log.RETRY, "Rasa down")
    later = text_update(6, 100, "second")
    await processor.do_process_update(later, handle(later))
    assert handled == [5, 6]  # chat 100 in order; chat 200's update is not this chat's
    async with transaction(sessions) as session:
        assert await update_log.status_of(session, 5) == update_log.DONE
        assert await update_log.status_of(session, 6) == update_log.DONE
        assert await update_log.status_of(session, 4) == update_log.RETRY


async def test_send_and_mark_marks_what_went_out_when_a_later_reply_fails(sessions: Any) -> None:
    """Replies are marked sent in one transaction after sending, also when one fails, so a
    retry sends only those that did not go out (each reply reaches the founder once)."""
    sent: list[str] = []

    class Bot:
        async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
            if text == "boom" and "boom" not in sent:
                sent.append("boom")
                raise NetworkError("connection reset")
            sent.append(text)

    context = SimpleNamespace(bot=Bot(), bot_id=0, sessions=sessions)
    async with transaction(sessions) as session:
        await bot_replies.store(session, 9, 100, [("one", None), ("boom", None), ("three", None)])
    with pytest.raises(NetworkError):
        await deliver_stored(context, 9)  # type: ignore[arg-type]
    async with transaction(sessions) as session:
        marks = [r.sent_at is not None for r in await bot_replies.for_update(session, 9)]
    assert marks == [True, False, False]
    assert await deliver_stored(context, 9) is True  # type: ignore[arg-type]
    assert sent == ["one", "boom", "boom", "three"]
    async with transaction(sessions) as session:
        assert all(r.sent_at for r in await bot_replies.for_update(session, 9))
