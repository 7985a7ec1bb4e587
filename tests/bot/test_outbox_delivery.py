"""The adapter's delivery of the desk's outbox, offline: a stub Bot API and a stub Rasa API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from telegram.error import Forbidden, RetryAfter

from bot import desk_render
from bot.handlers.staff import numbered
from bot.outbox_delivery import OutboxDelivery
from hubdata.db import transaction
from hubdata.desk import deliveries, ticket_messages, transitions
from hubdata.i18n import Catalogs
from hubdata.models import Ticket, TicketMessage
from hubdata.settings import Settings
from tests.hubdata.desk.conftest import (
    AMINA,
    FOUNDER,
    STAFF_GROUP,
    Clock,
    actor,
    call,
    make_team,
    pending,
    request,
)


class StubBot:
    """Records what the adapter sends; fails for the chats it is told to."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.edits: list[tuple[int, int, str]] = []
        self.failures: dict[int, Exception] = {}

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if chat_id in self.failures:
            raise self.failures[chat_id]
        self.sent.append((chat_id, text))
        return SimpleNamespace(message_id=100 + len(self.sent))

    async def edit_message_text(self, text: str, chat_id: int, message_id: int, **_: Any) -> Any:
        self.edits.append((chat_id, message_id, text))
        return True


class StubTracker:
    """Rasa's HTTP API: remembers appended events; says whether the tracker is paused."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, list[dict]]] = []
        self.paused = True

    async def tracker(self, sender_id: str) -> dict:
        return {"events": [{"event": "user", "text": "grants in Senegal?", "timestamp": 1.0}]}

    async def append_events(self, sender_id: str, events: list[dict]) -> dict:
        self.appended.append((sender_id, events))
        return {"paused": self.paused}


@pytest.fixture
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture
async def delivery(sessions: sessionmaker, catalogs: Catalogs
                   ) -> tuple[OutboxDelivery, StubBot, StubTracker, Clock]:
    await make_team(sessions)
    clock, bot, api = Clock(), StubBot(), StubTracker()
    settings = Settings(staff_chat_id=STAFF_GROUP)
    desk = OutboxDelivery(bot, sessions, catalogs, settings, api, clock=clock)  # type: ignore[arg-type]
    return desk, bot, api, clock


async def claimed_ticket(desk: OutboxDelivery, clock: Clock) -> int:
    number, _ = await request(desk.sessions, desk.settings, clock())
    await desk.announce(number, founder_name="Awa")
    await call(desk.sessions, lambda s: transitions.claim(s, desk.settings, actor(AMINA), number,
                                                          now=clock()))
    await desk.flush()
    return number


async def test_card_is_posted_then_edited_in_place(delivery: Any) -> None:
    desk, bot, api, clock = delivery
    number = await claimed_ticket(desk, clock)
    group = [(chat, text) for chat, text in bot.sent if chat == STAFF_GROUP]
    assert len(group) == 1 and "grants in Senegal?" in group[0][1]
    async with transaction(desk.sessions) as session:
        card_id = (await session.get(Ticket, number)).card_message_id
    assert card_id == 101
    assert [(chat, message) for chat, message, _ in bot.edits] == [(STAFF_GROUP, card_id)]
    assert "claimed" in bot.edits[0][2].split("\n")[0]
    assert {chat for chat, _ in bot.sent} == {STAFF_GROUP, AMINA, FOUNDER}
    assert await pending(desk.sessions) == []


async def test_a_blocked_founder_is_recorded_and_the_assignee_told(delivery: Any) -> None:
    desk, bot, api, clock = delivery
    number = await claimed_ticket(desk, clock)
    bot.failures[FOUNDER] = Forbidden("Forbidden: bot was blocked by the user")
    await call(desk.sessions, lambda s: ticket_messages.reply(s, actor(AMINA), number, "Bonjour",
                                                              now=clock()))
    outcomes = await desk.flush()
    assert "blocked" in outcomes.values()
    async with transaction(desk.sessions) as session:
        ticket = await session.get(Ticket, number)
        line = (await session.get(TicketMessage, ticket.messages[-1].id))
        assert ticket.founder_blocked_at is not None and line.delivery == "blocked"
    assert bot.sent[-1][0] == AMINA and "a bloqué le bot" in bot.sent[-1][1]  # in French


async def test_flood_control_keeps_each_chat_in_order(delivery: Any) -> None:
    desk, bot, api, clock = delivery
    number = await claimed_ticket(desk, clock)
    bot.sent.clear()
    bot.failures[FOUNDER] = RetryAfter(30)
    for text in ("one", "two"):
        await call(desk.sessions, lambda s, t=text: ticket_messages.reply(
            s, actor(AMINA), number, t, now=clock()))
    await call(desk.sessions, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "hello",
                                                                      now=clock()))
    await desk.flush()
    assert [chat for chat, _ in bot.sent] == [AMINA]  # the relay; the founder's two wait
    del bot.failures[FOUNDER]
    await desk.flush()
    assert bot.sent[1:] == []  # not before retry_after
    clock.advance(seconds=31)
    await desk.flush()
    assert [text.split("\n")[-1] for chat, text in bot.sent if chat == FOUNDER] == ["one", "two"]


async def test_a_new_rasa_session_is_paused_again(delivery: Any) -> None:
    desk, bot, api, clock = delivery
    number = await claimed_ticket(desk, clock)
    api.paused = False
    await call(desk.sessions, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "toujours là ?",
                                                                      now=clock()))
    await desk.flush()
    assert api.appended[-1] == (str(FOUNDER), [deliveries.PAUSE])
    await call(desk.sessions, lambda s: transitions.resolve(s, desk.settings, actor(AMINA), number,
                                                            now=clock()))
    await desk.flush()
    assert api.appended[-1] == (str(FOUNDER), [deliveries.RESUME, deliveries.LISTEN])


def test_render_escapes_and_mentions(catalogs: Catalogs) -> None:
    payload = {"lang": "en", "parts": [
        {"msgid": "desk.relay_founder", "params": {"ticket": 3, "name": "<b>x</b>",
                                                   "text": "a & b"}},
        {"quote": "founder", "text": "<script>"},
        {"quote": "staff", "text": "ok", "name": "Amina"},
        {"mentions": [[501, "Amina <K>"]]}]}
    assert desk_render.text(catalogs, payload).split("\n") == [
        "💬 #3 &lt;b&gt;x&lt;/b&gt;: a &amp; b", "👤 &lt;script&gt;",
        "🧑‍💼 <b>Amina</b>: ok", '<a href="tg://user?id=501">Amina &lt;K&gt;</a>']


@pytest.mark.parametrize(("text", "parsed"), [
    ("12 hello there", (12, "hello there")), ("#7 line\nbreak", (7, "line\nbreak")),
    ("hello 12", (None, "hello 12")), ("42", (42, ""))])
def test_numbered(text: str, parsed: tuple) -> None:
    assert numbered(text) == parsed


async def test_staff_get_the_desk_commands_in_their_menu_in_their_language(
    sessions: sessionmaker, catalogs: Catalogs
) -> None:
    """Each active staff member's private chat shows the founder commands and the desk's, in
    the language the desk speaks to them; a removed member's menu is taken away. Founders'
    menus (the default scope) are untouched. Checked against the fake Bot API."""
    from telegram import Bot, BotCommandScopeChat

    from bot.command_menus import STAFF_COMMANDS, StaffMenus
    from devtools.fake_telegram import FakeTelegram
    from hubdata.desk import staff
    from tests.hubdata.desk.conftest import PEDRO, T0

    await make_team(sessions)
    async with FakeTelegram(port=0) as fake, Bot("123:staff-menus", base_url=fake.base_url) as bot:
        menus = StaffMenus(bot, sessions, catalogs)
        await menus.refresh()
        amina = await bot.get_my_commands(scope=BotCommandScopeChat(AMINA))
        pedro = await bot.get_my_commands(scope=BotCommandScopeChat(PEDRO))
        assert [c.command for c in amina][-len(STAFF_COMMANDS):] == list(STAFF_COMMANDS)
        queue = {c.command: c.description for c in amina}["queue"]
        assert queue == catalogs.render("fr", "command.queue")  # Amina speaks French first
        assert {c.command: c.description for c in pedro}["queue"] == catalogs.render(
            "es", "command.queue")
        assert not await bot.get_my_commands()  # founders' default menu: not set by this
        async with transaction(sessions) as session:
            await staff.deactivate(session, PEDRO, actor=actor(AMINA), now=T0)
        await menus.refresh()
        assert not await bot.get_my_commands(scope=BotCommandScopeChat(PEDRO))
        assert await bot.get_my_commands(scope=BotCommandScopeChat(AMINA)) == amina
