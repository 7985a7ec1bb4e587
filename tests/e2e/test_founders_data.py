"""Founders own their data (embedded layout, SQLite): /privacy, /mydata, /forget, and the
staff's ``emergebot founders`` commands; tests/e2e/test_production.py does the same on
PostgreSQL and Redis."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from tests.e2e.desk import answer_to, emergebot
from tests.e2e.erasure import databases, leave_data_then_forget, traces
from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e


def test_start_and_privacy_tell_what_is_kept(stack: Stack, chat_id: int) -> None:
    [welcome] = stack.ask(chat_id, "/start", "fr")
    assert stack.catalogs.gettext("fr", "privacy.short") in welcome["text"]
    [notice] = stack.ask(chat_id, "/privacy", "fr")
    assert stack.is_message(notice["text"], "fr", "privacy.full"), notice["text"]
    assert "180" in notice["text"]  # the retention limit as configured


def test_forget_erases_everything_everywhere(stack: Stack) -> None:
    founder = random.randrange(7_000_000_000, 7_999_999_999)
    scanned = leave_data_then_forget(stack, founder)
    print(f"rows scanned after the erasure: {scanned}")
    assert scanned["bot"] > 50 and scanned["tracker"] > 0


def test_forget_cancelled_forged_or_stale_erases_nothing(stack: Stack, chat_id: int) -> None:
    stack.ask(chat_id, "/profile country GH")
    [ask] = stack.ask(chat_id, "/forget")
    stack.click(chat_id, ask, 1)
    [kept] = stack.replies(chat_id)
    assert stack.is_message(kept["text"], "en", "forget.cancelled"), kept["text"]

    forged = answer_to(stack, stack.click(chat_id, ask, 0, forge_data="forget-now"))
    assert forged.show_alert and forged.text == stack.catalogs.gettext("en", "button.expired")

    [old] = stack.ask(chat_id, "/forget")
    with sqlite3.connect(stack.tmp / "bot.db", timeout=30) as db:  # asked long ago
        for token, action in db.execute(
                "select token, action from callback_tokens where chat_id = ?",
                (chat_id,)).fetchall():
            if json.loads(action).get("kind") == "forget":
                db.execute("update callback_tokens set action = ? where token = ?",
                           (json.dumps({"kind": "forget", "at": "2026-01-01T00:00:00+00:00"}),
                            token))
    stack.click(chat_id, old, 0)
    [stale] = stack.replies(chat_id)
    assert stack.is_message(stale["text"], "en", "forget.stale"), stale["text"]
    found, _ = traces(databases(stack)[0][1], chat_id, "no-such-marker")
    assert "founders.user_id" in found  # still there


def test_staff_export_and_forget_a_founder_from_the_command_line(stack: Stack) -> None:
    founder = random.randrange(7_000_000_000, 7_999_999_999)
    stack.ask(founder, "/profile country NG")
    stack.ask(founder, "mentors in Nigeria?")
    exported = json.loads(emergebot(stack, "founders", "export", str(founder)))
    assert exported["founders"][0]["country"] == "NG" and exported["conversation"]
    printed = emergebot(stack, "founders", "forget", str(founder), "--yes", "--staff", "99")
    assert f"erased founder {founder}" in printed and "tracker_events" in printed
    for name, url in databases(stack):
        assert traces(url, founder, "mentors in Nigeria?")[0] == [], name
