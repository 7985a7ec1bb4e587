"""Asking instead of guessing, for real: an unsure message between two topics gets the two as
buttons; the one the founder presses answers it and labels the message in the NLU inbox."""

from __future__ import annotations

import random
import time

import pytest

from emergebot import review_queue
from hubdata.catalog import INTENT_TOPICS
from tests.e2e.harness import Stack, button_labels

pytestmark = pytest.mark.e2e

# Messages between two topics; which of them the live model is unsure about depends on the model.
CANDIDATES = ("funding or a mentor?", "a programme for founders", "advice and money for my app",
              "support for founders", "help for my startup team", "something for founders")


def unsure_question(stack: Stack) -> tuple[int, str, dict]:
    """A fresh founder (no misses yet), the candidate message and the bot's question about it."""
    for text in CANDIDATES:
        founder = random.randrange(6_000_000_000, 7_999_999_999)
        [question] = stack.ask(founder, text)
        if stack.is_message(question["text"], "en", "clarify.ask"):
            return founder, text, question
    pytest.skip("the live model is sure (or hopeless) about every candidate message")


def test_two_close_topics_are_asked_and_the_choice_reaches_the_inbox(stack: Stack) -> None:
    founder, text, question = unsure_question(stack)
    labels = button_labels(question)
    topics = {stack.catalogs.gettext("en", f"topic.{t}"): t for t in INTENT_TOPICS.values()}
    assert len(labels) == 3 and labels[0] in topics and labels[1] in topics
    assert labels[2] == stack.catalogs.gettext("en", "button.something_else")
    chosen = topics[labels[1]]  # the model's second guess: the founder knows better
    stack.click(founder, question, 1)
    [answer] = stack.replies(founder)
    assert not stack.is_message(answer["text"], "en", "fallback.rephrase"), answer["text"]

    intent = next(i for i, t in INTENT_TOPICS.items() if t == chosen)
    deadline = time.monotonic() + 10
    while True:
        turns = review_queue.read_turns(review_queue.tracker_url(stack.env["RASA_TRACKER_DB"]))
        items = {i.text: i for i in review_queue.collect(turns)}
        if text in items and items[text].founder_choice or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert items[text].founder_choice == intent
    assert items[text].suggested == intent and "founder_choice" in items[text].reasons


def test_something_else_asks_for_words_with_every_topic(stack: Stack) -> None:
    founder, _, question = unsure_question(stack)
    stack.click(founder, question, 2)
    [reply] = stack.replies(founder)
    assert stack.is_message(reply["text"], "en", "clarify.other"), reply["text"]
    assert len(button_labels(reply)) == len(INTENT_TOPICS)
