"""A founder's data end to end: what /mydata sends and what /forget leaves behind, found by
scanning every table of both databases (the bot's and Rasa's tracker store) and Redis."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import MetaData, create_engine, inspect, select

from hubdata import retention
from tests.e2e.desk import answer_to, wait_for
from tests.e2e.harness import STAFF_CHAT_ID, Stack, button_labels


def sync_url(url: str) -> str:
    """A synchronous driver's URL for an async one."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "")


def traces(url: str, founder_id: int, marker: str) -> tuple[list[str], int]:
    """Every (table, column) of the database that holds the founder's id or the marker text,
    and how many rows were scanned."""
    pattern = re.compile(rf"(?<!\d){founder_id}(?!\d)|{re.escape(marker)}(?!-other)")
    engine = create_engine(sync_url(url))
    found, rows = [], 0
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=inspect(engine).get_table_names())
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)).mappings():
                    rows += 1
                    for column, value in row.items():
                        if value == founder_id or pattern.search(
                                json.dumps(value, default=str, ensure_ascii=False)):
                            found.append(f"{table.name}.{column}")
    finally:
        engine.dispose()
    return found, rows


def redis_traces(redis_url: str | None, founder_id: int, marker: str) -> tuple[list[str], int]:
    """Redis keys whose name or (string) value holds the founder's id or the marker."""
    if not redis_url:
        return [], 0
    import redis

    client = redis.Redis.from_url(redis_url)
    found, keys = [], 0
    try:
        for key in client.scan_iter(count=500):
            keys += 1
            name = key.decode(errors="replace")
            value = client.get(key) if client.type(key) == b"string" else b""
            text = name + " " + (value or b"").decode(errors="replace")
            if re.search(rf"(?<!\d){founder_id}(?!\d)", text) or marker in text:
                found.append(name)
    finally:
        client.close()
    return found, keys


def leave_data_then_forget(stack: Stack, founder_id: int) -> dict[str, Any]:
    """The founder leaves data everywhere (profile, search, a ticket, a free-text message),
    gets a copy with /mydata, then erases it all with /forget. Return what was measured."""
    marker = f"zebra-{uuid.uuid4().hex[:10]}"
    bystander = founder_id + 1  # another founder, whose data must stay
    stack.ask(bystander, f"hello, I am {marker}-other")
    stack.ask(founder_id, "/profile country KE")
    stack.ask(founder_id, f"any grants for agritech in Kenya? we are {marker}")
    [created] = stack.ask(founder_id, "/human")
    assert stack.is_message(created["text"], "en", "escalation.created"), created["text"]
    [noted] = stack.ask(founder_id, f"My start-up {marker} needs a loan of 20k USD.")
    assert stack.is_message(noted["text"], "en", "desk.founder_noted"), noted["text"]
    wait_for(lambda: any(marker in m.get("text", "")
                         for m in stack.fake.messages(STAFF_CHAT_ID)), what="card with marker")

    before = {name: traces(url, founder_id, marker)[0] for name, url in databases(stack)}
    assert before["bot"] and before["tracker"], before  # the scan can find what is there

    [document] = stack.ask(founder_id, "/mydata")
    record = stack.fake.message_records(founder_id)[-1]
    assert "document" in document and record.document is not None
    exported = json.loads(record.document)
    assert exported["founders"][0]["country"] == "KE"
    assert marker in json.dumps(exported["tickets"] + exported["ticket_messages"])
    assert any(marker in json.dumps(event) for event in exported["conversation"])

    [ask] = stack.ask(founder_id, "/forget")
    assert stack.is_message(ask["text"], "en", "forget.ask"), ask["text"]
    assert button_labels(ask) == ["Yes, erase everything", "No, keep it"]
    stack.click(founder_id, ask, 0)
    [done] = stack.replies(founder_id)
    assert stack.is_message(done["text"], "en", "forget.done"), done["text"]
    wait_for(lambda: not any(marker in m.get("text", "")
                             for m in stack.fake.messages(STAFF_CHAT_ID)), what="card blanked")
    wait_for(lambda: any(stack.is_message(m.get("text", ""), "en", "desk.erased")
                         for m in stack.fake.messages(STAFF_CHAT_ID)), what="staff told")

    scanned: dict[str, Any] = {}
    for name, url in databases(stack):
        found, rows = traces(url, founder_id, marker)
        assert found == [], (name, found)
        scanned[name] = rows
        engine = create_engine(sync_url(url))
        scanned[f"{name}_tables"] = len(inspect(engine).get_table_names())
        engine.dispose()
    found, keys = redis_traces(stack.settings.redis_url, founder_id, marker)
    assert found == [], found
    scanned["redis_keys"] = keys
    for name, url in databases(stack):  # only this founder's data went
        assert traces(url, bystander, "-no-marker-")[0], name

    again = answer_to(stack, stack.click(founder_id, ask, 0))  # pressed twice: one erasure
    assert again.show_alert and again.text == stack.catalogs.gettext("en", "button.expired")
    assert stack.fake.messages(founder_id)[-1]["message_id"] == done["message_id"]
    return scanned


def databases(stack: Stack) -> list[tuple[str, str]]:
    """The stack's two databases: the bot's and Rasa's tracker store."""
    return [("bot", stack.settings.database_url),
            ("tracker", retention.tracker_store_url(stack.settings))]
