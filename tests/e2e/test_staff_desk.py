"""The staff desk end to end: real adapter, Rasa, action server and console processes, the
fake Telegram Bot API, staff in the staff group and in their private chats."""

from __future__ import annotations

import itertools
import json
import re
import urllib.request

import pytest

from tests.e2e.desk import (
    add_staff,
    answer_to,
    card,
    emergebot,
    latest_ticket,
    press,
    row,
    say_in_group,
    wait_for,
)
from tests.e2e.harness import STAFF_CHAT_ID, Stack, button_labels

pytestmark = pytest.mark.e2e
_staff_ids = itertools.count(61_001)


@pytest.fixture
def amina(stack: Stack) -> int:
    """A staff member who speaks English and French."""
    user_id = next(_staff_ids)
    add_staff(stack, user_id, f"Amina{user_id}", "en,fr")
    return user_id


@pytest.fixture
def pedro(stack: Stack) -> int:
    """A staff member who speaks Spanish and English."""
    user_id = next(_staff_ids)
    add_staff(stack, user_id, f"Pedro{user_id}", "es,en")
    return user_id


def escalate(stack: Stack, founder: int, lang: str = "en") -> tuple[int, dict]:
    """The founder asks for a person; return the ticket and its card in the staff group."""
    [reply] = stack.ask(founder, "/human", lang)
    assert stack.is_message(reply["text"], lang, "escalation.created"), reply["text"]
    ticket = latest_ticket(stack, founder)
    return ticket, wait_for(lambda: _card_or_none(stack, ticket), what="ticket card")


def _card_or_none(stack: Stack, ticket: int) -> dict | None:
    try:
        return card(stack, ticket)
    except LookupError:
        return None


def claim(stack: Stack, ticket_card: dict, staff: int) -> None:
    answer = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "Claim", staff))
    assert not answer.show_alert, answer.text


def tracker(stack: Stack, founder: int) -> dict:
    """The founder's conversation in Rasa, through its HTTP API."""
    url = (f"{stack.settings.rasa_url}/conversations/{founder}/tracker"
           f"?token={stack.env['RASA_TOKEN']}&include_events=ALL")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - localhost
        return json.load(response)


def test_round_trip_founder_staff_rating_and_back_to_the_bot(
        stack: Stack, chat_id: int, amina: int) -> None:
    [answer] = stack.ask(chat_id, "any grants for agritech in Kenya?")
    assert stack.is_message(answer["text"], "en", "results.found"), answer["text"]
    ticket, ticket_card = escalate(stack, chat_id)
    assert f"Amina{amina}" in ticket_card["text"]  # speaks the founder's language: mentioned
    assert "any grants for agritech in Kenya?" in ticket_card["text"]  # the story so far
    assert button_labels(ticket_card)[:2] == ["Claim", "Resolve"]

    [noted] = stack.ask(chat_id, "My startup grows maize in Nakuru, we need 20k USD.")
    assert stack.is_message(noted["text"], "en", "desk.founder_noted"), noted["text"]

    claim(stack, ticket_card, amina)
    [private] = stack.replies(amina)
    assert private["text"].startswith(f"🎫 Ticket #{ticket} · normal · claimed")
    assert "we need 20k USD" in private["text"] and "Resolve" in button_labels(private)
    [told] = stack.replies(chat_id)
    assert stack.is_message(told["text"], "en", "desk.claimed_founder"), told["text"]
    wait_for(lambda: "claimed" in card(stack, ticket)["text"].split("\n")[0], what="card edit")

    stack.send(amina, "Hello! The Kenya Climate Smart Agriculture grant fits; it closes soon.")
    [staff_says] = stack.replies(chat_id)
    assert staff_says["text"].startswith(f"💬 Hub staff (Amina{amina}):\nHello! The Kenya")
    stack.send(chat_id, "Thank you, when does it close?")
    [relay] = stack.replies(amina)
    assert relay["text"] == f"💬 #{ticket} Founder: Thank you, when does it close?"
    stack.send(amina, "/reply It closes on 15 March.")
    [second] = stack.replies(chat_id)
    assert second["text"].endswith("It closes on 15 March.")

    def story() -> list:
        events = tracker(stack, chat_id)["events"]
        return [e.get("text") for e in events if e.get("event") in ("user", "bot")]

    texts = wait_for(lambda: "It closes on 15 March." in story() and story(), what="story")
    assert "Thank you, when does it close?" in texts and "we need 20k USD" in " ".join(
        t for t in texts if t)
    assert tracker(stack, chat_id)["paused"] is True  # Rasa keeps the story, does not answer

    stack.send(amina, "/resolve")
    [resolved] = stack.replies(amina)
    assert stack.is_message(resolved["text"], "en", "desk.resolved"), resolved["text"]
    [rating] = stack.replies(chat_id)
    assert stack.is_message(rating["text"], "en", "desk.resolved_founder"), rating["text"]
    assert button_labels(rating) == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
    answer = answer_to(stack, press(stack, chat_id, rating, "5 ★"))
    assert not answer.show_alert
    [thanks] = stack.replies(chat_id)
    assert stack.is_message(thanks["text"], "en", "desk.rating_thanks"), thanks["text"]
    [rated] = stack.replies(amina)
    assert stack.is_message(rated["text"], "en", "desk.rated"), rated["text"]

    [back] = stack.ask(chat_id, "and are there mentors for agritech founders in Kenya?")
    assert any(stack.is_message(back["text"], "en", m)
               for m in ("results.found", "results.relaxed")), back["text"]
    assert tracker(stack, chat_id)["paused"] is False
    status, stars, replied, assignee = row(
        stack, "select status, rating, first_reply_at is not null, assignee_id from tickets "
        "where id = ?", ticket)
    assert (status, stars, replied, assignee) == ("resolved", 5, 1, amina)
    authors = row(stack, "select group_concat(author, ',') from (select author from "
                  "ticket_messages where ticket_id = ? and before_handoff = 0 order by id)",
                  ticket)[0]
    assert authors == "founder,staff,founder,staff"


def test_refusals_in_telegram(stack: Stack, chat_id: int, amina: int, pedro: int) -> None:
    ticket, ticket_card = escalate(stack, chat_id)
    outsider = 61_999
    answer = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "Claim", outsider))
    assert answer.show_alert and "Only registered hub staff" in answer.text
    assert row(stack, "select status from tickets where id = ?", ticket) == ("waiting",)
    [refused] = stack.ask(outsider, "/queue")
    assert stack.is_message(refused["text"], "en", "desk.not_staff"), refused["text"]

    claim(stack, ticket_card, amina)
    stack.replies(amina)
    stack.replies(chat_id)
    again = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "Claim", amina))
    assert again.show_alert and "already yours" in again.text  # a double click
    other = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "Claim", pedro))
    assert other.show_alert and f"Amina{amina}" in other.text  # in Pedro's language
    assert stack.is_message(other.text, "es", "desk.claimed_by_other"), other.text
    [not_yours] = stack.ask(pedro, f"/reply {ticket} I can help too")
    assert stack.is_message(not_yours["text"], "es", "desk.claimed_by_other")

    photo = {"message": {"message_id": 900, "date": 0, "photo": [
        {"file_id": "x", "file_unique_id": "x", "width": 9, "height": 9}],
        "chat": {"id": amina, "type": "private", "first_name": "A"},
        "from": {"id": amina, "is_bot": False, "first_name": "A"}}}
    stack.fake_thread.run(stack.fake.send_update(photo))
    [media] = stack.replies(amina)
    assert stack.is_message(media["text"], "en", "desk.staff_media"), media["text"]

    say_in_group(stack, amina, "I'll take the Kenyan one")  # the group is not a chat with us
    [queue] = stack.ask(pedro, "/queue")
    assert f"n.º {ticket} · normal · asignado" in queue["text"]
    stack.send(amina, "/resolve")
    stack.replies(amina)
    stack.replies(chat_id)  # the rating question
    [closed] = stack.ask(amina, f"/reply {ticket} one more thing")
    assert stack.is_message(closed["text"], "en", "desk.ticket_closed"), closed["text"]
    [nothing] = stack.ask(amina, "are you there?")
    assert stack.is_message(nothing["text"], "en", "desk.no_current_ticket")
    resolve_again = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "Resolve", amina))
    assert resolve_again.show_alert and "is closed" in resolve_again.text
    assert stack.fake.messages(chat_id)[-1]["text"].startswith("The hub staff have closed")
    group = [m["text"][:1] for m in stack.fake.messages(STAFF_CHAT_ID)]
    assert set(group) <= {"🎫", "⏳", "⛔"}, group  # only tickets and SLA alerts


def test_a_founder_who_blocks_the_bot(stack: Stack, chat_id: int, amina: int) -> None:
    ticket, ticket_card = escalate(stack, chat_id)
    claim(stack, ticket_card, amina)
    stack.replies(amina)
    stack.replies(chat_id)
    stack.fake.block_chat(chat_id)
    try:
        stack.send(amina, "Are you still interested in the grant?")
        [told] = stack.replies(amina)
        assert stack.is_message(told["text"], "en", "desk.founder_blocked"), told["text"]
        assert row(stack, "select founder_blocked_at is not null from tickets where id = ?",
                   ticket) == (1,)
        assert row(stack, "select delivery from ticket_messages where ticket_id = ? and "
                   "author = 'staff'", ticket) == ("blocked",)
        wait_for(lambda: "blocked the bot" in card(stack, ticket)["text"], what="card edit")
    finally:
        stack.fake.unblock_chat(chat_id)


def test_a_restart_in_the_middle_of_a_ticket(stack: Stack, chat_id: int, amina: int) -> None:
    ticket, ticket_card = escalate(stack, chat_id)
    claim(stack, ticket_card, amina)
    stack.replies(amina)
    stack.replies(chat_id)
    stack.stop_child("telegram adapter")
    try:
        stack.send(chat_id, "Are you still there?")
        stack.send(amina, "Yes, sorry for the wait.")
    finally:
        stack.start_child("telegram adapter")
    [relay] = stack.replies(amina, timeout=60)
    assert relay["text"] == f"💬 #{ticket} Founder: Are you still there?"
    [answer] = stack.replies(chat_id, timeout=60)
    assert answer["text"].endswith("Yes, sorry for the wait.")
    assert tracker(stack, chat_id)["paused"] is True
    assert row(stack, "select status from tickets where id = ?", ticket) == ("claimed",)


def test_sla_breach_reminds_the_group_and_the_founder(stack: Stack, chat_id: int,
                                                      amina: int) -> None:
    ticket, ticket_card = escalate(stack, chat_id)
    answer = answer_to(stack, press(stack, STAFF_CHAT_ID, ticket_card, "urgent", amina))
    assert not answer.show_alert
    [waiting] = stack.replies(chat_id, timeout=40)  # urgent: 12 s to the first reply
    assert stack.is_message(waiting["text"], "en", "desk.still_waiting"), waiting["text"]
    alerts = [m["text"] for m in stack.fake.messages(STAFF_CHAT_ID)
              if m["text"].startswith(("⏳", "⛔")) and f"#{ticket} " in m["text"]]
    assert alerts and alerts[-1].startswith(f"⛔ Ticket #{ticket} (urgent)"), alerts
    assert len([a for a in alerts if a.startswith("⛔")]) == 1


def test_staff_open_a_ticket_and_the_console_replies(stack: Stack, chat_id: int,
                                                     amina: int) -> None:
    stack.ask(chat_id, "hello")
    [opened] = stack.ask(amina, f"/open {chat_id} asked about the hub's demo day")
    assert stack.is_message(opened["text"], "en", "desk.opened"), opened["text"]
    [invited] = stack.replies(chat_id)
    assert stack.is_message(invited["text"], "en", "desk.opened_by_staff"), invited["text"]
    ticket = latest_ticket(stack, chat_id)
    token = emergebot(stack, "staff", "token", str(amina)).strip()
    console = _console_session(stack, token)
    page = console(f"/tickets/{ticket}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    console(f"/tickets/{ticket}/reply", {"csrf": csrf, "text": "Written in the console."})
    [reply] = stack.replies(chat_id, timeout=20)  # delivered by the adapter from the outbox
    assert reply["text"] == f"💬 Hub staff (Amina{amina}):\nWritten in the console."
    assert wait_for(lambda: tracker(stack, chat_id)["paused"], what="paused")


def _console_session(stack: Stack, token: str):  # type: ignore[no-untyped-def]
    """Sign in to the stack's console process; return a function that GETs or POSTs."""
    import http.cookiejar
    import urllib.parse

    base = stack.settings.console_url.rstrip("/")
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def fetch(path: str, form: dict | None = None) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with opener.open(base + path, data=data, timeout=20) as response:
            return response.read().decode()

    login = fetch("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
    assert "Tickets" in fetch("/login", {"token": token, "csrf": csrf})
    return fetch


def test_a_founder_who_changes_language_during_a_ticket_hears_staff_in_it(
        stack: Stack, chat_id: int, amina: int) -> None:
    ticket, ticket_card = escalate(stack, chat_id)
    claim(stack, ticket_card, amina)
    stack.replies(amina)
    stack.replies(chat_id)
    [changed] = stack.ask(chat_id, "/language fr")
    assert stack.is_message(changed["text"], "fr", "language.changed"), changed["text"]
    assert row(stack, "select language from tickets where id = ?", ticket) == ("fr",)
    stack.send(amina, "Bonjour ! Le programme ferme bientôt.")
    [staff_says] = stack.replies(chat_id)
    assert stack.is_message(staff_says["text"], "fr", "desk.staff_says"), staff_says["text"]
