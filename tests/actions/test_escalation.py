"""ActionEscalateToStaff: one ticket per conversation, with its topic, details and reason."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from actions.escalation import ActionEscalateToStaff
from tests.actions.harness import USER, run, slot_events, stored_escalations, tracker


async def test_escalation_is_created_once(live: sessionmaker) -> None:
    t = tracker("/request_human", "request_human", slots={"topic": "membership"},
                earlier_texts=["How do I join ITU as a small company?"])
    messages, events = await run(ActionEscalateToStaff(), t)
    assert messages == [{"msgid": "escalation.created"}]
    assert events[-1]["event"] == "pause"  # the staff desk has the conversation now
    assert slot_events(events[:-1]) == {"pending": None, "fallback_count": 0.0}
    messages, _ = await run(ActionEscalateToStaff(), t)
    assert messages == [{"msgid": "escalation.already_open"}]
    (row,) = await stored_escalations(live)
    assert (row.founder_id, row.language, row.reason, row.topic, row.status) == (
        USER, "fr", "request_human", "membership", "waiting")
    assert row.last_message == "How do I join ITU as a small company?"


async def test_escalation_takes_topic_and_details_from_the_conversation(
        live: sessionmaker) -> None:
    t = tracker("/request_human", "request_human", slots={"country": "KE", "sector": "agritech"})
    t.events.insert(1, {"event": "user", "text": "any mentors?", "metadata": {},
                        "parse_data": {"intent": {"name": "ask_mentor"}}})
    await run(ActionEscalateToStaff(), t)
    (row,) = await stored_escalations(live)
    assert row.topic == "mentor" and row.entities == {"country": "KE", "sector": "agritech"}


async def test_escalation_after_offer_is_a_fallback(live: sessionmaker) -> None:
    await run(ActionEscalateToStaff(),
              tracker("a person please", "request_human", slots={"pending": "offer_human"},
                      reply_language="ar"))
    (row,) = await stored_escalations(live)
    assert (row.reason, row.language, row.last_message) == ("fallback", "ar", "a person please")
