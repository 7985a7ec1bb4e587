"""The fake Telegram Bot API, driven by the real python-telegram-bot client (no network)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.http_request import AiohttpRequest
from devtools.fake_telegram import FakeTelegram
from devtools.fake_telegram.formatting import parse_text

TOKEN = "123456:TEST-token"
CHAT = 1001
ROOT = Path(__file__).resolve().parents[2]
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Grants", callback_data="topic:grants")],
        [
            InlineKeyboardButton("Mentors", callback_data="topic:mentors"),
            InlineKeyboardButton("ITU site", url="https://www.itu.int/"),
        ],
    ]
)


@pytest.fixture
async def fake() -> Any:
    async with FakeTelegram(port=0, webhook_retry_delay=0.05) as server:
        yield server


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(fake: FakeTelegram, request: pytest.FixtureRequest) -> Any:
    """python-telegram-bot's own HTTP client, and the adapter's (bot/http_request.py): the
    same protocol checks pass through both."""
    kwargs: dict[str, Any] = {}
    if request.param == "aiohttp":
        kwargs = {"request": AiohttpRequest(), "get_updates_request": AiohttpRequest()}
    async with Bot(TOKEN, base_url=fake.base_url, **kwargs) as client:
        yield client


async def test_get_me_and_request_log(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == fake.bot_user["username"]
    assert [r.method for r in fake.requests_log][-1] == "getMe"
    assert fake.requests_log[-1].token == TOKEN


async def test_only_the_configured_token_is_accepted() -> None:
    async with FakeTelegram(port=0, token=TOKEN) as server:
        async with Bot(TOKEN, base_url=server.base_url) as good:
            assert (await good.get_me()).id == server.bot_user["id"]
        with pytest.raises(InvalidToken):
            await Bot("999:other", base_url=server.base_url).get_me()


async def test_send_message_with_inline_keyboard_is_recorded(fake: FakeTelegram, bot: Bot) -> None:
    update = await fake.send_text(CHAT, "hi")
    sent = await bot.send_message(
        CHAT,
        "<b>Grants</b> for 🚀 founders",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        reply_to_message_id=update["message"]["message_id"],
    )
    assert sent.text == "Grants for 🚀 founders"
    assert sent.reply_markup == KEYBOARD
    assert sent.reply_to_message.text == "hi"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 6
    # PTB sends form-encoded data: the keyboard arrived as a JSON string
    assert isinstance(fake.requests_log[-1].params["reply_markup"], str)
    [stored] = fake.messages(CHAT)
    assert stored["message_id"] == sent.message_id
    assert stored["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "topic:mentors"
    [record] = fake.message_records(CHAT)
    assert record.raw_text.startswith("<b>Grants</b>") and record.parse_mode == "HTML"
    assert record.in_reply_to_update_id == update["update_id"]
    assert 0 <= record.latency < 5
    assert fake.latencies(CHAT) == [record.latency]


async def test_send_message_errors_have_the_real_wording(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, "   ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    assert (await bot.send_message(CHAT, "x" * 4096)).text == "x" * 4096
    with pytest.raises(BadRequest, match='Can\'t parse entities: unsupported start tag "br"'):
        await bot.send_message(CHAT, "line<br>line", parse_mode="HTML")
    with pytest.raises(BadRequest, match="reserved and must be escaped"):
        await bot.send_message(CHAT, "Version 2.0", parse_mode="MarkdownV2")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(CHAT, "pick", reply_markup=too_long)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.base_url}{TOKEN}/sendMessage", json={"text": "x"}) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat_id is empty",
            }
        async with http.get(f"{fake.base_url}{TOKEN}/sendTelepathy") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        body = {"chat_id": CHAT, "text": "json body", "reply_markup": KEYBOARD.to_dict()}
        async with http.post(f"{fake.base_url}{TOKEN}/SENDMESSAGE", json=body) as resp:
            result = (await resp.json())["result"]
            assert result["text"] == "json body" and "reply_markup" in result


async def test_get_updates_offset_confirms_and_drops(fake: FakeTelegram, bot: Bot) -> None:
    ids = [(await fake.send_text(CHAT, f"m{i}"))["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.message.text for u in await bot.get_updates()] == ["m1", "m2"]
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    assert fake.pending_updates == []
    assert [u.update_id for u in await bot.get_updates(limit=1)] == []


async def test_get_updates_long_polls_until_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await fake.send_text(CHAT, "wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates] == ["wake up"]
    assert time.monotonic() - started < 5
    started = time.monotonic()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_second_poller_terminates_the_first_with_conflict(
    fake: FakeTelegram, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with Bot(TOKEN, base_url=fake.base_url) as other_instance:
        second = asyncio.create_task(other_instance.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, 3)
        await fake.send_text(CHAT, "x")
        assert len(await asyncio.wait_for(second, 3)) == 1


async def test_redelivered_update_comes_back_after_confirmation(
    fake: FakeTelegram, bot: Bot
) -> None:
    update_id = (await fake.send_text(CHAT, "once"))["update_id"]
    [first] = await bot.get_updates()
    await bot.get_updates(offset=update_id + 1)  # confirmed
    await fake.redeliver(update_id)
    [again] = await bot.get_updates(offset=update_id + 1)
    assert again.update_id == first.update_id and again.message.text == "once"
    assert await bot.get_updates(offset=update_id + 1) == ()


async def test_injected_429_raises_retry_after_then_succeeds(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hello")
    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    assert (await bot.send_message(CHAT, "hello")).text == "hello"
    fake.fail_next("getMe", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.get_me()
    assert (await bot.get_me()).is_bot
    assert [m["text"] for m in fake.messages(CHAT)] == ["hello"]


async def test_edit_message_text_and_markup(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pick a topic", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Pick a topic", CHAT, sent.message_id, reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Pick one", CHAT, sent.message_id, reply_markup=KEYBOARD)
    assert edited.text == "Pick one" and edited.reply_markup == KEYBOARD
    assert edited.edit_date is not None
    # like the real API, an edit without reply_markup removes the keyboard
    plain = await bot.edit_message_text("Done", CHAT, sent.message_id)
    assert plain.reply_markup is None
    assert fake.messages(CHAT)[0]["text"] == "Done"
    assert "reply_markup" not in fake.messages(CHAT)[0]
    with_keyboard = await bot.edit_message_reply_markup(
        CHAT, sent.message_id, reply_markup=KEYBOARD
    )
    assert with_keyboard.reply_markup == KEYBOARD
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", CHAT, 9999)
    assert [(e.old_text, e.new_text) for e in fake.edits] == [
        ("Pick a topic", "Pick one"),
        ("Pick one", "Done"),
        ("Done", "Done"),
    ]
    assert [e.method for e in fake.edits][-1] == "editMessageReplyMarkup"


async def test_callback_query_round_trip(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pick a topic", reply_markup=KEYBOARD)
    with pytest.raises(LookupError):
        await fake.click(CHAT, sent.message_id, "topic:unknown")
    await fake.click(CHAT, sent.message_id, "topic:mentors")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query.data == "topic:mentors"
    assert query.message.message_id == sent.message_id and query.from_user.id == CHAT
    assert await query.answer("Mentors it is") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")
    [answer] = fake.callback_answers
    assert (answer.text, answer.data, answer.message_id) == (
        "Mentors it is",
        "topic:mentors",
        sent.message_id,
    )
    forged = await fake.click(CHAT, sent.message_id, "admin:drop_tables", forge=True)
    assert forged["callback_query"]["data"] == "admin:drop_tables"


async def test_blocked_chat_gives_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(CHAT, "typing")
    assert (await bot.send_message(CHAT + 1, "other chat")).chat.id == CHAT + 1
    fake.unblock_chat(CHAT)
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert [(c, a) for c, a, _ in fake.chat_actions] == [(CHAT, "typing")]
    assert fake.messages(CHAT) == []


async def test_commands_per_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("start", "Démarrer")], language_code="fr")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="fr")] == ["Démarrer"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Not-Valid", "x")])
    await bot.delete_my_commands(language_code="fr")
    assert await bot.get_my_commands(language_code="fr") == ()


async def test_webhook_delivery_with_secret_and_retry(fake: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    statuses = [500, 200, 200]

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=statuses[len(received) - 1])

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cr3t-token") is True
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        first = await fake.send_text(CHAT, "via webhook")
        second = await fake.send_text(CHAT, "second")
        # The fake records a delivery once the receiver has answered: wait for both sides.
        await fake.wait_until(lambda: len(received) == 3 and len(fake.webhook_deliveries) == 3, 5)
        assert [secret for secret, _ in received] == ["s3cr3t-token"] * 3
        assert [body["update_id"] for _, body in received] == [
            first["update_id"],
            first["update_id"],
            second["update_id"],
        ]
        assert received[0][1]["message"]["text"] == "via webhook"
        assert [d.attempt for d in fake.webhook_deliveries] == [1, 2, 1]
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        await bot.delete_webhook()
        await fake.send_text(CHAT, "polling again")
        assert [u.message.text for u in await bot.get_updates()] == ["polling again"]
    finally:
        await runner.cleanup()


async def test_control_api(fake: FakeTelegram, bot: Bot) -> None:
    control = f"{fake.api_url}/_control"
    async with aiohttp.ClientSession() as http:
        body = {"chat_id": CHAT, "text": "bonjour", "language_code": "fr"}
        async with http.post(f"{control}/send", json=body) as resp:
            sent = await resp.json()
        update = sent["result"]
        assert update["message"]["from"]["language_code"] == "fr"
        [polled] = await bot.get_updates()
        assert polled.update_id == update["update_id"]
        reply = await bot.send_message(CHAT, "Bonjour !", reply_markup=KEYBOARD)
        async with http.get(f"{control}/messages", params={"chat_id": CHAT}) as resp:
            events = await resp.json()
        [event] = events["result"]
        assert event["kind"] == "message" and event["message"]["text"] == "Bonjour !"
        assert event["in_reply_to_update_id"] == update["update_id"]
        assert event["latency"] >= 0 and events["last_seq"] == event["seq"]

        params = {"chat_id": CHAT, "after": event["seq"], "timeout": 5}
        waiting = asyncio.create_task(http.get(f"{control}/messages", params=params))
        await asyncio.sleep(0.2)
        await bot.edit_message_text("Bonjour, fondateur !", CHAT, reply.message_id)
        async with await asyncio.wait_for(waiting, 5) as resp:
            [edit] = (await resp.json())["result"]
        assert edit["kind"] == "edit" and edit["message"]["text"] == "Bonjour, fondateur !"

        await bot.edit_message_reply_markup(CHAT, reply.message_id, reply_markup=KEYBOARD)
        click = {"chat_id": CHAT, "message_id": reply.message_id, "data": "topic:grants"}
        async with http.post(f"{control}/click", json=click) as resp:
            assert (await resp.json())["result"]["callback_query"]["data"] == "topic:grants"
        click["data"] = "topic:nope"
        async with http.post(f"{control}/click", json=click) as resp:
            assert resp.status == 400 and not (await resp.json())["ok"]
        async with http.post(f"{control}/fail", json={"method": "getMe", "retry_after": 3}) as r:
            assert r.status == 200
    with pytest.raises(RetryAfter):
        await bot.get_me()


async def test_wait_for_messages_uses_a_cursor(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(CHAT, "one")
    assert [m["text"] for m in await fake.wait_for_messages(CHAT, 1)] == ["one"]
    mark = fake.mark()
    later = asyncio.create_task(fake.wait_for_messages(CHAT, 2, timeout=5))
    await bot.send_message(CHAT, "two")
    await bot.send_message(CHAT, "three")
    assert [m["text"] for m in await later] == ["two", "three"]
    assert [m["text"] for m in await fake.wait_for_messages(CHAT, 2, since=mark)] == [
        "two",
        "three",
    ]
    with pytest.raises(TimeoutError, match="expected 1"):
        await fake.wait_for_messages(CHAT, 1, timeout=0.2)


async def test_arbitrary_updates_reach_the_bot(fake: FakeTelegram, bot: Bot) -> None:
    sticker = {"file_id": "CAAC", "file_unique_id": "u1", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    message = {"message_id": 5, "date": int(time.time()), "sticker": sticker,
               "chat": {"id": -100, "type": "group", "title": "G"},
               "from": {"id": 7, "is_bot": False, "first_name": "A"}}  # fmt: skip
    await fake.send_update({"message": message})
    await fake.send_update({"update_id": 10**9, "edited_message": {"text": "malformed"}})
    async with aiohttp.ClientSession() as http:  # PTB itself cannot parse the malformed one
        async with http.get(f"{fake.base_url}{TOKEN}/getUpdates") as resp:
            raw_first, raw_second = (await resp.json())["result"]
    assert raw_second == {"update_id": 10**9, "edited_message": {"text": "malformed"}}
    first = Update.de_json(raw_first, bot)
    assert first.message.sticker.file_id == "CAAC" and first.effective_chat.type == "group"
    assert first.update_id < raw_second["update_id"]
    assert (await fake.send_text(CHAT, "after"))["update_id"] > 10**9


async def test_a_hostile_chat_does_not_spoil_later_results(fake: FakeTelegram, bot: Bot) -> None:
    # A storm once enqueued a chat with an unknown field and no type first: the fake echoed it
    # in sendMessage's result, which PTB could not parse, so a good reply looked like a failure.
    hostile = {"message_id": 1, "date": int(time.time()), "text": "x",
               "chat": {"id": 0, "": 1, "first_name": "F"}}
    await fake.send_update({"message": hostile})
    sent = await bot.send_message(0, "still a message")
    assert (sent.chat.id, sent.chat.type, sent.chat.first_name) == (0, "group", "F")
    await fake.send_update({"message": {**hostile, "chat": {"id": 77, "type": "odd"}}})
    assert (await bot.send_message(77, "and here")).chat.type == "private"


def test_formatting_counts_utf16_units_and_trims() -> None:
    text, entities = parse_text("  😀 <i>ok</i> &amp; <a href='https://x.org'>link</a> ", "HTML")
    assert text == "😀 ok & link"
    assert entities == [
        {"type": "italic", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://x.org"},
    ]
    text, entities = parse_text(r"*Grants* for v2\.0 \(new\)", "MarkdownV2")
    assert text == "Grants for v2.0 (new)"
    assert entities == [{"type": "bold", "offset": 0, "length": 6}]


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("A", callback_data="pick:a"),
                InlineKeyboardButton("B", callback_data="pick:b"),
            ]
        ]
    )
    await update.effective_message.reply_text(
        f"echo: {update.effective_message.text}", reply_markup=keyboard
    )


async def _picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"you chose {query.data}")


async def test_terminal_chat_against_a_polling_echo_bot(fake: FakeTelegram) -> None:
    app = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(CallbackQueryHandler(_picked))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "devtools.terminal_chat", "--api", fake.api_url,
                "--chat-id", str(CHAT), "--wait", "5",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            out, err = await asyncio.wait_for(process.communicate(b"hello\n#2\n/quit\n"), 30)
        finally:
            await app.updater.stop()
            await app.stop()
    output = out.decode()
    assert process.returncode == 0, err.decode()
    assert "#N presses button N" in output.splitlines()[0]
    assert "bot: echo: hello\n     [1] A\n     [2] B" in output
    assert re.search(r"bot \(edited \d+\): you chose pick:b", output)
    assert output.index("echo: hello") < output.index("you chose pick:b")
    assert [a.data for a in fake.callback_answers] == ["pick:b"]
    assert fake.messages(CHAT)[0]["text"] == "you chose pick:b"


async def test_standalone_server_prints_its_url_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "devtools.fake_telegram", "--port", "0",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        match = re.fullmatch(
            r"fake Telegram Bot API listening on (http://127\.0\.0\.1:\d+/bot)", line
        )
        assert match, line
        async with Bot(TOKEN, base_url=match.group(1)) as client:
            assert (await client.get_me()).is_bot
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_aiohttp_request_maps_timeouts_refusals_and_uploads() -> None:
    """What httpx's request class raises, ours raises: TimedOut, NetworkError; and a file goes
    up as multipart with the other parameters beside it."""
    seen: dict[str, Any] = {}

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.4)  # past the client's 0.2 s, done before the server stops
        return web.json_response({"ok": True, "result": True})

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        document = form["document"]
        seen.update(chat_id=form["chat_id"], name=document.filename, body=document.file.read())
        return web.json_response({"ok": True, "result": {
            "message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"}}})

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {
            "id": 1, "is_bot": True, "first_name": "Bot", "username": "hub_bot"}})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/getMe", me)
    app.router.add_post(f"/bot{TOKEN}/getWebhookInfo", slow)
    app.router.add_post(f"/bot{TOKEN}/sendDocument", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        request = AiohttpRequest(read_timeout=0.2)
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request) as bot:
            with pytest.raises(TimedOut):
                await bot.get_webhook_info()
            await bot.send_document(CHAT, b"%PDF-1.4 founders' guide", filename="guide.pdf")
        assert seen == {"chat_id": str(CHAT), "name": "guide.pdf",
                        "body": b"%PDF-1.4 founders' guide"}
        await asyncio.sleep(0.3)
    finally:
        await runner.cleanup()
    gone = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    await gone.request.initialize()  # type: ignore[attr-defined]
    try:
        with pytest.raises(NetworkError):
            await gone.get_me()
    finally:
        await gone.request.shutdown()  # type: ignore[attr-defined]
