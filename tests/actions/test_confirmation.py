"""ActionHandleAffirmDeny: yes and no to the offer of a person, and "something else"."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from actions.confirmation import ActionHandleAffirmDeny
from hubdata import catalog
from tests.actions.harness import USER, run, slot_events, stored_escalations, tracker


async def test_affirm_after_offer_escalates(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("yes", "affirm", slots={"pending": "offer_human", "fallback_count": 2.0}),
    )
    assert messages == [{"msgid": "escalation.created"}]
    assert slot_events(events[:-1]) == {"pending": None, "fallback_count": 0.0}
    (row,) = await stored_escalations(live)
    assert row.reason == "fallback" and row.founder_id == USER


async def test_deny_after_offer_acknowledges(live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("no thanks", "deny", slots={"pending": "offer_human", "fallback_count": 2.0}),
    )
    (message,) = messages
    assert message["msgid"] == "deny.ack"
    assert len(message["buttons"]) == len(catalog.INTENT_TOPICS)
    assert slot_events(events) == {"pending": None, "fallback_count": 0.0}
    assert await stored_escalations(live) == []


async def test_affirm_without_offer_does_not_escalate(live: sessionmaker) -> None:
    messages, _ = await run(ActionHandleAffirmDeny(), tracker("yes", "affirm"))
    assert messages[0]["msgid"] == "affirm.ack"
    assert await stored_escalations(live) == []


async def test_something_else_invites_words_and_keeps_the_miss_counted(
        live: sessionmaker) -> None:
    messages, events = await run(
        ActionHandleAffirmDeny(),
        tracker("/deny", "deny", slots={"pending": "clarify", "fallback_count": 1.0}),
    )
    (message,) = messages
    assert message["msgid"] == "clarify.other"
    assert len(message["buttons"]) == len(catalog.INTENT_TOPICS)
    assert slot_events(events) == {"pending": None}  # the next miss offers a person
    assert await stored_escalations(live) == []
