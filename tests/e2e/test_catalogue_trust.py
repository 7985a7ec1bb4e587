"""Answers founders can trust, through the real stack: direct answers, lifecycle, filters that
belong to the question, and the "report a problem" button (fake Bot API -> adapter -> Rasa ->
actions -> database)."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from datetime import date

import pytest

from tests.e2e.harness import Stack, button_labels

pytestmark = pytest.mark.e2e
_ids = itertools.count(40_001)
ANSWER = "💡"

FEE_QUESTIONS = {
    "en": "how much does ITU membership cost for a start-up?",
    "fr": "combien coûte l'adhésion à l'UIT pour une start-up ?",
    "es": "¿cuánto cuesta la membresía de la UIT para una startup?",
    "ar": "كم تكلفة عضوية الاتحاد الدولي للاتصالات لشركة ناشئة؟",
    "ru": "сколько стоит членство в МСЭ для стартапа?",
    "zh": "初创企业加入国际电联要多少钱？",
    "pt": "quanto custa a adesão à UIT para uma startup?",
}


def db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(stack.tmp / "bot.db")


def answer_title(stack: Stack, text: str) -> str:
    return text.split("\n")[0].removeprefix(ANSWER).strip()


@pytest.mark.parametrize("lang", list(FEE_QUESTIONS))
def test_a_direct_question_gets_the_stored_answer_first_in_the_founders_language(
    stack: Stack, lang: str
) -> None:
    chat_id = next(_ids)
    answer, cards = stack.ask(chat_id, FEE_QUESTIONS[lang], language_code=lang, count=2)
    assert answer["text"].startswith(ANSWER), answer["text"]
    with db(stack) as connection:
        titles = {t for (t,) in connection.execute(
            "select t.title from resource_texts t join resources r on r.id = t.resource_id "
            "where r.kind = 'faq' and r.topic = 'membership' and t.lang = ?", (lang,))}
    assert answer_title(stack, answer["text"]) in titles, answer["text"]
    source = stack.catalogs.gettext(lang, "card.source").split("{")[0].strip()
    assert source in answer["text"]
    assert stack.is_message(cards["text"], lang, "results.found"), cards["text"]
    first_card = cards["text"].split("\n\n")[1]
    assert "cadem" not in first_card and "Academia" not in first_card, first_card


def test_events_mean_upcoming_ones_and_filters_stay_with_their_question(stack: Stack) -> None:
    chat_id = next(_ids)
    [mentors] = stack.ask(chat_id, "je cherche un mentor pour ma startup fintech au Sénégal",
                          language_code="fr")
    assert "Sénégal" in mentors["text"].split("\n")[0], mentors["text"]
    [events] = stack.ask(chat_id, "what events are coming up?", language_code="fr")
    first_line = events["text"].split("\n")[0]
    assert "Sénégal" not in first_line and "Fintech" not in first_line, first_line
    with db(stack) as connection:
        (ids,) = connection.execute(
            "select result_ids from searches where user_id = ? and topic = 'events' "
            "order by id desc limit 1", (chat_id,)).fetchone()
        rows = connection.execute(
            "select id, status, coalesce(ends_on, starts_on) from resources "
            "where kind = 'event'").fetchall()
    shown = set(json.loads(ids))
    today = date.today().isoformat()
    for rid, status, end in rows:
        if rid in shown:
            assert status != "retired" and (end is None or end >= today), rid
    assert any(status == "retired" for _, status, _ in rows)  # there were past ones to hide


def test_a_founder_reports_a_problem_on_a_card(stack: Stack) -> None:
    chat_id = next(_ids)
    [results] = stack.ask(chat_id, "is there an incubator in Kenya?")
    labels = button_labels(results)
    report = stack.catalogs.render("en", "report.button", {"number": 1})
    assert report in labels, labels
    stack.click(chat_id, results, labels.index(report))
    [reasons] = stack.replies(chat_id)
    assert stack.is_message(reasons["text"], "en", "report.ask"), reasons["text"]
    outdated = stack.catalogs.gettext("en", "report.reason_outdated")
    stack.click(chat_id, reasons, button_labels(reasons).index(outdated))
    [thanks] = stack.replies(chat_id)
    assert stack.is_message(thanks["text"], "en", "report.thanks"), thanks["text"]
    # the same button again: nothing recorded twice
    stack.click(chat_id, reasons, button_labels(reasons).index(outdated))
    [again] = stack.replies(chat_id)
    assert stack.is_message(again["text"], "en", "report.already"), again["text"]
    # "something else" takes the founder's next message as the text, escaped when shown
    other = stack.catalogs.gettext("en", "report.reason_other")
    stack.click(chat_id, reasons, button_labels(reasons).index(other))
    [describe] = stack.replies(chat_id)
    assert stack.is_message(describe["text"], "en", "report.describe"), describe["text"]
    [done] = stack.ask(chat_id, "the <b>phone</b> number is wrong")
    assert stack.is_message(done["text"], "en", "report.thanks"), done["text"]
    # a forged button is refused with a localised notice, and records nothing
    before = len(stack.fake.callback_answers)
    stack.click(chat_id, reasons, 0, forge_data="forged-token")
    deadline = time.monotonic() + 15
    while len(stack.fake.callback_answers) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stack.is_message(stack.fake.callback_answers[-1].text or "", "en", "button.expired")
    with db(stack) as connection:
        rows = connection.execute("select reason, text, status from resource_reports "
                                  "where user_id = ? order by id", (chat_id,)).fetchall()
    assert rows == [("outdated", None, "open"), ("other", "the <b>phone</b> number is wrong",
                                                  "open")]
