"""The life of a ticket through the service layer (hubdata/desk), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from hubdata.db import transaction
from hubdata.desk import announcements, deliveries, outbox, ticket_messages, transitions
from hubdata.desk.clock import aware
from hubdata.desk.results import CONSOLE
from hubdata.desk.transcript import Line
from hubdata.models import Staff, Ticket
from hubdata.settings import Settings
from tests.hubdata.desk.conftest import (
    AMINA,
    FOUNDER,
    OUTSIDER,
    PEDRO,
    STAFF_GROUP,
    T0,
    Clock,
    actor,
    audit_log,
    call,
    deliver_all,
    msgids,
    pending,
    request,
    ticket_of,
)


async def announced(sessions: sessionmaker, settings: Settings, clock: Clock) -> int:
    """A new ticket, announced to the staff group with a short transcript, outbox emptied."""
    number, _ = await request(sessions, settings, clock())
    await call(sessions, lambda s: announcements.announce(
        s, settings, number, now=clock(), founder_name="Awa",
        transcript=[Line("founder", "des subventions au Sénégal ?"),
                    Line("bot", "Financement : 3 résultats")]))
    await deliver_all(sessions, clock())
    return number


async def claimed(sessions: sessionmaker, settings: Settings, clock: Clock,
                  by: int = AMINA) -> int:
    number = await announced(sessions, settings, clock)
    result = await call(sessions, lambda s: transitions.claim(s, settings, actor(by), number,
                                                              now=clock()))
    assert result.ok, result.notice
    await deliver_all(sessions, clock())
    return number


async def test_one_open_ticket_per_founder(team: sessionmaker, settings: Settings) -> None:
    first, outcome = await request(team, settings, T0)
    again, second = await request(team, settings, T0)
    assert (outcome, second, again) == (transitions.CREATED, transitions.ALREADY_OPEN, first)
    ticket = await ticket_of(team, first)
    assert (ticket.status, ticket.priority, ticket.language, ticket.topic) == (
        "waiting", "normal", "fr", "funding")
    assert ticket.entities == {"country": "SN"}
    assert [a[2:] for a in await audit_log(team) if a[2] == "request"] == [
        ("request", first, "ok"), ("request", first, "ok")]


async def test_announce_posts_the_card_once_mentioning_speakers(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number, _ = await request(team, settings, clock())
    lines = [Line("founder", "des subventions au Sénégal ?"), Line("bot", "3 résultats")]
    first = await call(team, lambda s: announcements.announce(s, settings, number, now=clock(),
                                                              transcript=lines, founder_name="Awa"))
    second = await call(team, lambda s: announcements.announce(s, settings, number, now=clock(),
                                                               transcript=lines))
    assert second.deliveries == []
    (card,) = first.deliveries
    assert card.chat_id == STAFF_GROUP and card.payload["card_of"] == number
    assert msgids(card.payload)[:2] == ["desk.card_title", "desk.card_founder"]
    mentions = [p["mentions"] for p in card.payload["parts"] if "mentions" in p]
    assert mentions == [[[AMINA, "Amina"]]]  # Amina speaks French, Pedro does not
    assert [b["action"]["op"] for b in card.payload["buttons"][0]] == ["claim", "resolve"]
    ticket = await ticket_of(team, number)
    assert [(m.author, m.text, m.before_handoff) for m in ticket.messages] == [
        ("founder", "des subventions au Sénégal ?", True), ("bot", "3 résultats", True)]
    assert ticket.founder_name == "Awa"


async def test_without_a_staff_group_nothing_is_posted(team: sessionmaker, clock: Clock) -> None:
    settings = Settings(staff_chat_id=None)
    number, _ = await request(team, settings, clock())
    result = await call(team, lambda s: announcements.announce(s, settings, number, now=clock()))
    assert result.deliveries == [] and (await ticket_of(team, number)).announced_at is not None


async def test_outsiders_are_refused_and_nothing_changes(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    operations = [
        lambda s: transitions.claim(s, settings, actor(OUTSIDER), number, now=clock()),
        lambda s: transitions.resolve(s, settings, actor(OUTSIDER, CONSOLE), number, now=clock()),
        lambda s: transitions.set_priority(s, settings, actor(OUTSIDER), number, "urgent",
                                           now=clock()),
        lambda s: ticket_messages.reply(s, actor(OUTSIDER), number, "hi", now=clock()),
        lambda s: ticket_messages.add_note(s, actor(OUTSIDER), number, "x", now=clock()),
        lambda s: transitions.open_for_founder(s, settings, actor(OUTSIDER), FOUNDER, now=clock()),
    ]
    for operation in operations:
        result = await call(team, operation)
        assert result.refused and result.notice is not None
        assert result.notice.msgid == "desk.not_staff"
    ticket = await ticket_of(team, number)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("waiting", "normal", None)
    assert [m.author for m in ticket.messages] == ["founder", "bot"]
    assert await pending(team) == []
    refusals = [a for a in await audit_log(team) if a[4] == "refused"]
    assert len(refusals) == len(operations) and {a[0] for a in refusals} == {OUTSIDER}


async def test_claim_moves_the_ticket_to_the_private_chat(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    result = await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number,
                                                          now=clock()))
    assert result.ok and result.notice.msgid == "desk.claimed" and result.lang == "fr"
    edit, private, founder = result.deliveries
    assert edit.chat_id == STAFF_GROUP and edit.payload["op"] == "edit_card"
    assert [b["action"]["op"] for b in edit.payload["buttons"][0]] == ["resolve"]
    assert private.chat_id == AMINA and "desk.private_help" in msgids(private.payload)
    quotes = [p["text"] for p in private.payload["parts"] if "quote" in p]
    assert quotes == ["des subventions au Sénégal ?", "Financement : 3 résultats"]
    assert founder.chat_id == FOUNDER and msgids(founder.payload) == ["desk.claimed_founder"]
    assert founder.payload["lang"] == "fr"
    ticket = await ticket_of(team, number)
    assert (ticket.status, ticket.assignee_id) == ("claimed", AMINA)
    async with transaction(team) as session:
        assert (await session.get(Staff, AMINA)).current_ticket_id == number


async def test_double_clicks_and_claims_by_others_change_nothing(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    again = await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number,
                                                         now=clock()))
    other = await call(team, lambda s: transitions.claim(s, settings, actor(PEDRO), number,
                                                         now=clock()))
    assert again.refused and again.notice.msgid == "desk.already_yours"
    assert other.refused and other.notice.msgid == "desk.claimed_by_other"
    assert other.notice.params["name"] == "Amina" and other.lang == "es"
    reply = await call(team, lambda s: ticket_messages.reply(s, actor(PEDRO), number, "hola",
                                                             now=clock()))
    assert reply.refused and reply.notice.msgid == "desk.claimed_by_other"
    assert await pending(team) == []
    assert (await ticket_of(team, number)).assignee_id == AMINA


async def test_replies_reach_the_founder_marked_as_staff(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    clock.advance(minutes=7)
    result = await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), None,
                                                              "Voici deux appels ouverts.",
                                                              now=clock()))
    assert result.ok
    message, rasa = result.deliveries
    assert message.chat_id == FOUNDER and message.payload["audience"] == "founder"
    (part,) = message.payload["parts"]
    assert part == {"msgid": "desk.staff_says",
                    "params": {"name": "Amina", "text": "Voici deux appels ouverts."}}
    assert rasa.conversation_id == str(FOUNDER) and rasa.payload["keep_paused"] is True
    assert rasa.payload["events"][0]["event"] == "bot"
    ticket = await ticket_of(team, number)
    assert ticket.first_reply_at is not None and ticket.messages[-1].delivery == "pending"
    assert message.payload["reply_row"] == ticket.messages[-1].id


async def test_reply_needs_a_claimed_open_ticket(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    nothing = await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), None, "hi",
                                                               now=clock()))
    assert nothing.notice.msgid == "desk.no_current_ticket"
    first = await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), number, "hi",
                                                             now=clock()))
    assert first.notice.msgid == "desk.claim_first"
    empty = await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), number, "   ",
                                                             now=clock()))
    assert empty.notice.msgid == "desk.empty_text"
    assert await pending(team) == []


async def test_founder_messages_wait_on_the_ticket_then_reach_the_assignee(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    first = await call(team, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "c'est urgent",
                                                                     now=clock()))
    second = await call(team, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "merci",
                                                                      now=clock()))
    assert [d.target for d in first.deliveries] == ["telegram", "rasa"]
    assert msgids(first.deliveries[0].payload) == ["desk.founder_noted"]  # acknowledged once
    assert [d.target for d in second.deliveries] == ["rasa"]
    await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number, now=clock()))
    relayed = await call(team, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "vous êtes là ?",
                                                                       now=clock()))
    relay, rasa = relayed.deliveries
    assert relay.chat_id == AMINA
    assert relay.payload["parts"] == [{"msgid": "desk.relay_founder", "params": {
        "ticket": number, "name": "Awa", "text": "vous êtes là ?"}}]
    listen, event = rasa.payload["events"]
    assert listen == deliveries.LISTEN
    assert (event["event"], event["text"], event["metadata"]) == (
        "user", "vous êtes là ?", {"desk_ticket": number})
    assert event["parse_data"]["intent"] == {"name": "nlu_fallback", "confidence": 0.0}
    texts = [m.text for m in (await ticket_of(team, number)).messages if not m.before_handoff]
    assert texts == ["c'est urgent", "merci", "vous êtes là ?"]


async def test_resolve_asks_for_a_rating_and_resumes_the_bot(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    result = await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number,
                                                            now=clock()))
    assert result.ok
    edit, founder, rasa = result.deliveries
    assert edit.payload["buttons"] == []
    assert msgids(founder.payload) == ["desk.resolved_founder"]
    assert [b["action"]["rating"] for b in founder.payload["buttons"][0]] == [1, 2, 3, 4, 5]
    assert rasa.payload["events"] == [deliveries.RESUME, deliveries.LISTEN]
    async with transaction(team) as session:
        assert (await session.get(Staff, AMINA)).current_ticket_id is None
    late = await call(team, lambda s: ticket_messages.reply(s, actor(AMINA), number, "encore",
                                                            now=clock()))
    twice = await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number,
                                                           now=clock()))
    assert late.notice.msgid == twice.notice.msgid == "desk.ticket_closed"
    assert len(await pending(team)) == 3  # only the resolution's own deliveries


async def test_rating_once_by_the_founder_only(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    early = await call(team, lambda s: ticket_messages.rate(s, FOUNDER, number, 5, now=clock()))
    assert early.notice.msgid == "desk.rating_unavailable"
    await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number, now=clock()))
    stranger = await call(team, lambda s: ticket_messages.rate(s, OUTSIDER, number, 1, now=clock()))
    assert stranger.refused
    rated = await call(team, lambda s: ticket_messages.rate(s, FOUNDER, number, 4, now=clock()))
    again = await call(team, lambda s: ticket_messages.rate(s, FOUNDER, number, 1, now=clock()))
    assert rated.ok and rated.notice.msgid == "desk.rating_thanks"
    assert rated.deliveries[0].chat_id == AMINA  # the assignee hears about it
    assert again.notice.msgid == "desk.already_rated"
    assert (await ticket_of(team, number)).rating == 4


async def test_asking_again_soon_reopens_later_opens_a_new_ticket(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number, now=clock()))
    clock.advance(hours=2)
    again, outcome = await request(team, settings, clock())
    assert (again, outcome) == (number, transitions.REOPENED)
    ticket = await ticket_of(team, number)
    assert (ticket.status, ticket.assignee_id, ticket.announced_at) == ("reopened", None, None)
    assert aware(ticket.first_response_due) > clock.now  # the clock starts again
    await call(team, lambda s: transitions.claim(s, settings, actor(AMINA), number, now=clock()))
    await call(team, lambda s: transitions.resolve(s, settings, actor(AMINA), number, now=clock()))
    clock.advance(hours=settings.desk_reopen_window_h + 1)
    fresh, outcome = await request(team, settings, clock())
    assert outcome == transitions.CREATED and fresh != number


async def test_priority_moves_the_due_times(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    result = await call(team, lambda s: transitions.set_priority(s, settings, actor(PEDRO), number,
                                                                 "urgent", now=clock()))
    assert result.ok and result.notice.params == {"ticket": number, "priority": "urgent"}
    ticket = await ticket_of(team, number)
    assert (ticket.first_response_due - ticket.created_at).total_seconds() == 15 * 60
    forged = await call(team, lambda s: transitions.set_priority(s, settings, actor(PEDRO), number,
                                                                 "whenever", now=clock()))
    assert forged.notice.msgid == "desk.bad_request"


async def test_release_is_for_the_assignee(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    other = await call(team, lambda s: transitions.release(s, settings, actor(PEDRO), number,
                                                           now=clock()))
    assert other.notice.msgid == "desk.not_assignee"
    mine = await call(team, lambda s: transitions.release(s, settings, actor(AMINA), number,
                                                          now=clock()))
    assert mine.ok
    ticket = await ticket_of(team, number)
    assert (ticket.status, ticket.assignee_id) == ("waiting", None)


async def test_staff_open_a_ticket_for_a_known_founder(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    unknown = await call(team, lambda s: transitions.open_for_founder(s, settings, actor(PEDRO),
                                                                      123, now=clock()))
    assert unknown.notice.msgid == "desk.founder_unknown"
    result = await call(team, lambda s: transitions.open_for_founder(
        s, settings, actor(PEDRO), FOUNDER, now=clock(), note="follow-up on the grant"))
    assert result.ok
    founder, rasa = result.deliveries
    assert msgids(founder.payload) == ["desk.opened_by_staff"] and founder.payload["lang"] == "fr"
    assert rasa.payload["events"] == [deliveries.PAUSE]
    ticket = await ticket_of(team, result.ticket_id)
    assert (ticket.status, ticket.assignee_id, ticket.reason) == ("claimed", PEDRO, "staff")
    busy = await call(team, lambda s: transitions.open_for_founder(s, settings, actor(AMINA),
                                                                   FOUNDER, now=clock()))
    assert busy.notice.msgid == "desk.founder_has_ticket"
    announce = await call(team, lambda s: announcements.announce(s, settings, ticket.id,
                                                                 now=clock()))
    assert [d.chat_id for d in announce.deliveries] == [STAFF_GROUP, PEDRO]


async def test_a_concurrent_change_fails_instead_of_overwriting(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await announced(team, settings, clock)
    async with team() as stale_session:
        async with stale_session.begin():
            stale = await stale_session.get(Ticket, number)  # read before the console's claim
            assert stale.status == "waiting"
        await call(team, lambda s: transitions.claim(s, settings, actor(PEDRO, CONSOLE), number,
                                                     now=clock()))
        with pytest.raises(StaleDataError):
            async with stale_session.begin():
                await transitions.claim(stale_session, settings, actor(AMINA), number, now=clock())
    ticket = await ticket_of(team, number)
    assert ticket.assignee_id == PEDRO


async def test_a_blocked_founder_is_noted_and_the_assignee_told(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    result = await call(team, lambda s: ticket_messages.founder_blocked(s, settings, number,
                                                                        now=clock()))
    told, card = result.deliveries
    assert told.chat_id == AMINA and msgids(told.payload) == ["desk.founder_blocked"]
    assert "desk.card_blocked" in msgids(card.payload)
    assert (await ticket_of(team, number)).founder_blocked_at is not None
    rows = await pending(team)
    assert [r.chat_id for r in rows] == [AMINA, STAFF_GROUP]
    await call(team, lambda s: ticket_messages.founder_wrote(s, FOUNDER, "je suis là", now=clock()))
    assert (await ticket_of(team, number)).founder_blocked_at is None


async def test_removing_staff_returns_their_tickets(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await claimed(team, settings, clock)
    async with transaction(team) as session:
        released = await transitions.release_all_of(session, settings, AMINA,
                                                    actor=actor(0, "cli"), now=clock())
    assert released == [number]
    assert (await ticket_of(team, number)).status == "waiting"
    rows = await pending(team)
    assert [(r.chat_id, r.payload["op"]) for r in rows] == [(STAFF_GROUP, "edit_card")]
    async with transaction(team) as session:
        assert [r.id for r in await outbox.rows_of_ticket(session, number)][-1] == rows[-1].id
