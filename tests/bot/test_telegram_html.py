"""Clipping Telegram HTML (bot.telegram_html, used by bot.render.clip): founder text of ``&``
and ``<`` (five and four times longer once escaped) never leaves a cut entity or an open tag;
what Telegram cannot parse is sent again as plain text, by the desk and to founders."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.error import BadRequest

from bot import desk_render, render, replying, telegram_html
from bot.outbox_delivery import OutboxDelivery
from devtools.fake_telegram.formatting import parse_text, utf16_len
from hubdata.desk import transitions
from hubdata.i18n import Catalogs
from hubdata.settings import Settings
from tests.hubdata.desk.conftest import AMINA, STAFF_GROUP, Clock, actor, call, make_team, request

CATALOGS = Catalogs()
LIMIT = render.TELEGRAM_MAX_CHARS
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def accepted(text: str, limit: int = LIMIT) -> str:
    """The text Telegram would show for ``text`` (parse_mode HTML), asserting it would accept
    it: tags balanced and supported, every ``&`` a whole entity, within the limit."""
    assert "&" not in ENTITY.sub("", text), "a cut or unknown HTML entity"
    shown, _ = parse_text(text, "HTML")  # raises like Telegram's "can't parse entities"
    assert utf16_len(shown) <= limit
    assert shown
    return shown


def founder_card(founder_text: str, name: str, lines: int = 25) -> str:
    """A private ticket card: the founder's lines between staff replies (names in bold), as
    hubdata/desk/cards.py builds it, rendered by the desk."""
    parts: list[dict[str, Any]] = [
        {"msgid": "desk.card_title", "params": {"ticket": 7, "priority": "normal",
                                                "ticket_status": "claimed"}},
        {"msgid": "desk.card_founder", "params": {"name": name, "language": "fr",
                                                  "topic": "funding"}},
        {"msgid": "desk.card_transcript", "params": {}}]
    for n in range(lines):
        parts.append({"quote": "founder", "text": founder_text})
        parts.append({"quote": "staff", "name": f"Amina & <{n}>", "text": "&lt; noted"})
    parts.append({"mentions": [[501, "Amina <K> & co"], [502, "Pedro"]]})
    return desk_render.text(CATALOGS, {"lang": "en", "parts": parts})


def test_a_short_message_is_unchanged() -> None:
    text = "<b>1. Grants &amp; loans</b> — <a href=\"https://example.org/?a=1&amp;b=2\">x</a>"
    assert render.clip(text) == text


@pytest.mark.parametrize("length", [*range(590, 601), *range(117, 123)])
@pytest.mark.parametrize("char", ["&", "<", "&<", "a&"])
def test_cards_of_ampersands_and_brackets_stay_valid(length: int, char: str) -> None:
    """The cut moves through every position of the entities, tags and links of the card."""
    text = founder_card((char * length)[:length], name="&" * (length % 7))
    shown = accepted(text)
    if shown.endswith("…"):  # clipped: as much as fits, not far less
        assert len(shown) > LIMIT - 40
    else:  # it fits on screen, however long its HTML
        assert shown.endswith("Amina <K> & co, Pedro") and len(text) > LIMIT


@pytest.mark.parametrize("extra", range(-6, 7))
def test_around_the_limit(extra: int) -> None:
    body = "&" * (LIMIT + extra)
    text = "<b>" + html.escape(body) + "</b>"
    shown = accepted(render.clip(text))
    assert shown == body if extra <= 0 else shown == body[: LIMIT - 1] + "…"


def test_emoji_count_two_units() -> None:
    text = "<i>" + "😀" * LIMIT + "</i>"
    shown = accepted(render.clip(text))
    assert shown == "😀" * (LIMIT // 2 - 1) + "…"


def test_an_opening_tag_with_nothing_left_in_it_is_dropped() -> None:
    text = "a" * 9 + '<a href="tg://user?id=1"><b>name</b></a>'
    assert telegram_html.clip(text, limit=10) == "a" * 9 + "…"


PIECES = st.one_of(
    st.text(alphabet="&<>\"'aé😀 \n", min_size=1, max_size=12).map(html.escape),
    st.sampled_from(["<b>", "</b>", "<i>", "</i>", '<a href="tg://user?id=5&amp;x=1">', "</a>",
                     "<code>", "</code>", "&#128512;", "&amp;"]),
)


def balanced(pieces: list[str]) -> str:
    """The pieces as valid Telegram HTML: close what is open, drop closers of nothing."""
    out, stack = [], []
    for piece in pieces:
        if piece.startswith("</"):
            if stack and stack[-1] == piece[2:-1]:
                out.append(piece)
                stack.pop()
        elif piece.startswith("<"):
            stack.append(re.match(r"<(\w+)", piece).group(1))
            out.append(piece)
        else:
            out.append(piece)
    return "".join(out) + "".join(f"</{t}>" for t in reversed(stack))


@settings(max_examples=300)
@given(st.lists(PIECES, min_size=1, max_size=40), st.integers(min_value=2, max_value=60))
def test_any_valid_html_clips_to_valid_html(pieces: list[str], limit: int) -> None:
    text = balanced(pieces)
    full, _ = parse_text(text, "HTML")
    if not full:
        return
    clipped = telegram_html.clip(text, limit)
    shown = telegram_html.plain(clipped)
    assert "&" not in ENTITY.sub("", clipped)
    parse_text(clipped, "HTML")
    assert utf16_len(shown) <= limit
    whole = telegram_html.plain(text)
    assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1]))


def test_as_plain_shows_the_text_without_markup() -> None:
    text = '<b>Awa &amp; Co</b>: &lt;hi&gt; <a href="tg://user?id=5">Amina</a>'
    assert telegram_html.as_plain(text) == "Awa & Co: <hi> Amina"
    assert len(telegram_html.as_plain("&amp;" * 5000)) == LIMIT


# ------------------------------------------------------------------ plain-text fallback
class RefusingBot:
    """Refuses HTML like Telegram when its parser fails (here: always, or when the fake Bot
    API's parser does); records what it accepted."""

    def __init__(self, always: bool = False) -> None:
        self.always = always
        self.sent: list[tuple[int, str, str | None]] = []

    def _check(self, text: str, parse_mode: str | None) -> None:
        if parse_mode is not None:
            try:
                parse_text(text, parse_mode)
            except ValueError as error:
                raise BadRequest(f"Can't parse entities: {error}") from None
            if self.always:
                raise BadRequest("Can't parse entities: unsupported start tag \"x\"")

    async def send_message(self, chat_id: int, text: str, parse_mode: str | None = None,
                           **_: Any) -> Any:
        self._check(text, parse_mode)
        self.sent.append((chat_id, text, parse_mode))
        return SimpleNamespace(message_id=100 + len(self.sent))

    async def edit_message_text(self, text: str, chat_id: int, message_id: int,
                                parse_mode: str | None = None, **_: Any) -> Any:
        self._check(text, parse_mode)
        self.sent.append((chat_id, text, parse_mode))
        return True


async def test_a_founder_reply_telegram_cannot_parse_is_sent_as_plain_text() -> None:
    bot = RefusingBot(always=True)
    await replying.deliver(SimpleNamespace(bot=bot), 42, "<b>Grants &amp; loans</b>")
    assert bot.sent == [(42, "Grants & loans", None)]


async def test_a_founder_reply_is_sent_as_html_when_it_parses() -> None:
    bot = RefusingBot()
    await replying.deliver(SimpleNamespace(bot=bot), 42, html.escape("&" * 5000))
    ((chat, text, mode),) = bot.sent
    assert mode == "HTML" and accepted(text).endswith("…")


async def test_other_bad_requests_are_not_retried_as_plain_text() -> None:
    class Broken(RefusingBot):
        async def send_message(self, *args: Any, **kwargs: Any) -> Any:
            raise BadRequest("Chat not found")

    with pytest.raises(BadRequest):
        await replying.deliver(SimpleNamespace(bot=Broken()), 42, "hi")


class Tracker:
    """Rasa's tracker API: the founder wrote ``text`` six times before asking for a person."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def tracker(self, sender_id: str) -> dict:
        return {"events": [{"event": "user", "text": self.text, "timestamp": float(n)}
                           for n in range(6)]}


async def announced_card(sessions: Any, bot: RefusingBot, founder_text: str
                         ) -> tuple[OutboxDelivery, int, dict[int, str]]:
    """A founder writes ``founder_text`` and asks for a person; the adapter posts the card.

    Returns:
        The desk's delivery, the ticket, and how the outbox rows went.
    """
    await make_team(sessions)
    clock = Clock()
    settings = Settings(staff_chat_id=STAFF_GROUP)
    desk = OutboxDelivery(bot, sessions, CATALOGS, settings,  # type: ignore[arg-type]
                        Tracker(founder_text), clock=clock)  # type: ignore[arg-type]
    number, _ = await request(sessions, settings, clock(), last_message=founder_text)
    await desk.announce(number, founder_name="Awa & <Co>" * 12)
    return desk, number, await desk.flush()


@pytest.mark.parametrize("length", range(596, 601))
async def test_a_ticket_card_of_ampersands_reaches_the_staff_as_html(
        sessions: Any, length: int) -> None:
    bot = RefusingBot()  # refuses what the fake Bot API's parser refuses
    _, _, outcomes = await announced_card(sessions, bot,
                                          "&<" * (length // 2) + "&" * (length % 2))
    assert set(outcomes.values()) == {"sent"}
    ((chat, text, mode),) = [s for s in bot.sent if s[0] == STAFF_GROUP]
    assert mode == "HTML" and "Awa &amp; &lt;Co&gt;" in text
    accepted(text)


async def test_a_card_telegram_cannot_parse_is_sent_as_plain_text(sessions: Any) -> None:
    bot = RefusingBot(always=True)
    desk, number, outcomes = await announced_card(sessions, bot, "Bonjour & merci <3")
    assert set(outcomes.values()) == {"sent"}  # not "failed": the staff see the ticket
    ((chat, text, mode),) = [s for s in bot.sent if s[0] == STAFF_GROUP]
    assert mode is None and "Bonjour & merci <3" in text and "Awa & <Co>" in text
    bot.sent.clear()
    await call(desk.sessions, lambda s: transitions.claim(s, desk.settings, actor(AMINA), number,
                                                          now=desk.clock()))
    assert set((await desk.flush()).values()) == {"sent"}
    edited = [s for s in bot.sent if s[0] == STAFF_GROUP]  # the card, edited in place
    assert edited and all(mode is None for _, _, mode in bot.sent)
    assert "claimed" in edited[0][1] and "&amp;" not in edited[0][1]
