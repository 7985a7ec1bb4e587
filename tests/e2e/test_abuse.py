"""A founder who floods the bot or abuses it: flood control, and staff muting them."""

from __future__ import annotations

import random
import time

import pytest

from tests.e2e.desk import add_staff
from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e


def test_a_flood_is_cut_at_the_limit_with_one_notice_and_others_still_answered(
        stack: Stack, chat_id: int) -> None:
    limit = stack.settings.flood_messages_per_min
    flooder = random.randrange(8_000_000_000, 8_999_999_999)
    if int(time.time()) % 60 > 45:  # keep the burst inside one minute's window
        time.sleep(61 - int(time.time()) % 60)
    for index in range(limit + 5):
        stack.send(flooder, f"hello number {index}")
    [other] = stack.ask(chat_id, "hello")  # another founder is not slowed down
    assert stack.is_message(other["text"], "en", "greet"), other["text"]
    replies = stack.replies(flooder, count=limit + 1, timeout=60)
    notices = [r for r in replies if stack.is_message(r["text"], "en", "flood.notice")]
    assert len(notices) == 1, [r["text"][:40] for r in replies]
    assert str(limit) in notices[0]["text"]
    time.sleep(2)
    assert len(stack.fake.messages(flooder)) == limit + 1  # the excess got no answer


def test_staff_mute_a_founder_who_is_told_once_then_unmute(stack: Stack, chat_id: int) -> None:
    staff_id = random.randrange(9_000_000, 9_999_999)
    add_staff(stack, staff_id, f"Mod{staff_id}", "en")
    [first] = stack.ask(chat_id, "hello")
    assert stack.is_message(first["text"], "en", "greet")
    [muted] = stack.ask(staff_id, f"/mute {chat_id}")
    assert stack.is_message(muted["text"], "en", "desk.muted"), muted["text"]
    [told] = stack.ask(chat_id, "hello again")
    assert stack.is_message(told["text"], "en", "mute.notice"), told["text"]
    stack.send(chat_id, "are you there?")
    time.sleep(2)
    assert stack.fake.messages(chat_id)[-1]["message_id"] == told["message_id"]  # told once
    [unmuted] = stack.ask(staff_id, f"/unmute {chat_id}")
    assert stack.is_message(unmuted["text"], "en", "desk.unmuted"), unmuted["text"]
    [back] = stack.ask(chat_id, "hello")
    assert stack.is_message(back["text"], "en", "greet"), back["text"]
    [refused] = stack.ask(chat_id, f"/mute {chat_id}")  # a founder is not staff
    assert stack.is_message(refused["text"], "en", "desk.not_staff"), refused["text"]
