"""A founder's path through the real stack: Telegram (fake) -> adapter -> Rasa -> actions -> DB."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.harness import Stack, button_data, button_labels

pytestmark = pytest.mark.e2e


def test_start_shows_topics_in_the_telegram_language(stack: Stack, chat_id: int) -> None:
    [reply] = stack.ask(chat_id, "/start", language_code="es")
    assert stack.is_message(reply["text"], "es", "start")
    labels = button_labels(reply)
    assert stack.catalogs.gettext("es", "topic.funding") in labels
    assert len(labels) == 7


def test_grants_question_gets_ranked_sourced_results_with_paging(
    stack: Stack, chat_id: int
) -> None:
    [reply] = stack.ask(chat_id, "any funding for agritech in Kenya?")
    text = reply["text"]
    assert stack.is_message(text, "en", "results.found"), text
    assert "Kenya" in text and "Agritech" in text
    assert "Source: http" in text and "last verified" in text
    next_label = stack.catalogs.gettext("en", "page.next")
    labels = button_labels(reply)
    assert next_label in labels, "expected more than one page of funding for Kenya"
    page_two = stack.click_and_wait_edit(chat_id, reply, labels.index(next_label))
    assert "Page 2 of" in page_two["text"]
    assert page_two["text"].split("\n\n")[1] != text.split("\n\n")[1]
    previous = button_labels(page_two).index(stack.catalogs.gettext("en", "page.previous"))
    page_one = stack.click_and_wait_edit(chat_id, page_two, previous)
    assert page_one["text"] == text


def test_follow_ups_keep_the_context(stack: Stack, chat_id: int) -> None:
    stack.ask(chat_id, "any grants for agritech in Kenya?")
    [reply] = stack.ask(chat_id, "and in Uganda?")
    assert stack.is_message(reply["text"], "en", "results.found") or stack.is_message(
        reply["text"], "en", "results.relaxed") or stack.is_message(
        reply["text"], "en", "results.none"), reply["text"]
    assert "Uganda" in reply["text"].split("\n")[0]
    [reply] = stack.ask(chat_id, "what about loans?")
    first_line = reply["text"].split("\n")[0]
    assert "Loans" in first_line and "Uganda" in first_line, first_line


def test_missing_country_and_sector_are_asked_with_buttons_and_remembered(
    stack: Stack, chat_id: int
) -> None:
    [ask_country] = stack.ask(chat_id, "I need funding for my startup")
    assert stack.is_message(ask_country["text"], "en", "ask.country"), ask_country["text"]
    labels = button_labels(ask_country)
    stack.click(chat_id, ask_country, labels.index("Ghana"))
    [ask_sector] = stack.replies(chat_id)
    assert stack.is_message(ask_sector["text"], "en", "ask.sector"), ask_sector["text"]
    stack.click(chat_id, ask_sector, button_labels(ask_sector).index("Fintech"))
    [results] = stack.replies(chat_id)
    assert "Ghana" in results["text"].split("\n")[0]
    # Kept while the topic stays the same: no question asked again, and the reply says so.
    [again] = stack.ask(chat_id, "show me investors please")
    assert not stack.is_message(again["text"], "en", "ask.country"), again["text"]
    assert "Ghana" in again["text"].split("\n")[0]
    earlier = stack.catalogs.gettext("en", "results.from_earlier").split("{")[0]
    assert earlier in again["text"], again["text"]
    assert any(label.startswith("✖") for label in button_labels(again))
    # Not written into the profile: only /profile does that.
    [profile] = stack.ask(chat_id, "/profile")
    assert "Ghana" not in profile["text"]


def test_language_choice_is_explicit_then_detected_then_telegram(
    stack: Stack, chat_id: int
) -> None:
    # Detected from a long enough message, whatever Telegram says.
    [reply] = stack.ask(chat_id, "bonjour, je cherche des subventions pour ma startup", "en")
    assert "Source" not in reply["text"] or "Source :" in reply["text"]
    assert not stack.is_message(reply["text"], "en", "ask.country")
    # An explicit choice wins over the message's language.
    [changed] = stack.ask(chat_id, "/language ru", "en")
    assert stack.is_message(changed["text"], "ru", "language.changed"), changed["text"]
    [reply] = stack.ask(chat_id, "hello there, can you help me find a mentor?", "en")
    assert not stack.is_message(reply["text"], "en", "results.found")
    assert any("\u0400" <= c <= "\u04ff" for c in reply["text"]), reply["text"]


def test_language_change_in_words(stack: Stack, chat_id: int) -> None:
    [reply] = stack.ask(chat_id, "can you answer me in Portuguese please?")
    assert stack.is_message(reply["text"], "pt", "language.changed"), reply["text"]


def test_asking_for_a_person_opens_a_ticket(stack: Stack, chat_id: int) -> None:
    [reply] = stack.ask(chat_id, "/human")
    assert stack.is_message(reply["text"], "en", "escalation.created"), reply["text"]
    [again] = stack.ask(chat_id, "/human")
    assert stack.is_message(again["text"], "en", "escalation.already_open"), again["text"]
    [noted] = stack.ask(chat_id, "I want to talk to a real person")  # now for the staff
    assert stack.is_message(noted["text"], "en", "desk.founder_noted"), noted["text"]
    with sqlite3.connect(stack.tmp / "bot.db") as db:
        rows = db.execute("select status, language from tickets where founder_id = ?",
                          (chat_id,)).fetchall()
    assert rows == [("waiting", "en")]


def test_repeated_misunderstanding_offers_a_person(stack: Stack, chat_id: int) -> None:
    [first] = stack.ask(chat_id, "xqzv blorp")
    assert stack.is_message(first["text"], "en", "fallback.rephrase") or stack.is_message(
        first["text"], "en", "out_of_scope"), first["text"]
    [second] = stack.ask(chat_id, "wubba lubba zork")
    if stack.is_message(second["text"], "en", "fallback.offer_human"):
        stack.click(chat_id, second, 0)
        [escalated] = stack.replies(chat_id)
        assert stack.is_message(escalated["text"], "en", "escalation.created")


def test_buttons_are_opaque_tokens(stack: Stack, chat_id: int) -> None:
    [reply] = stack.ask(chat_id, "/start")
    for data in button_data(reply):
        assert len(data.encode()) <= 24 and "ask_" not in data and "{" not in data
