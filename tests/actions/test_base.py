"""DatabaseAction: a database that is down, or a commit that fails, is reported, not hidden."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from rasa_sdk import Action, Tracker
from sqlalchemy import text as sql_text
from sqlalchemy.orm import sessionmaker

from actions import runtime
from actions.confirmation import ActionHandleAffirmDeny
from actions.escalation import ActionEscalateToStaff
from actions.fallback import ActionHandleFallback
from actions.language import ActionChangeLanguage
from actions.search import ActionSearchResources
from hubdata import founders
from hubdata.db import transaction
from hubdata.settings import Settings
from tests.actions.harness import USER, entity, run, stored_founder, tracker

DOWN_URL = "postgresql+asyncpg://127.0.0.1:1/nothing"


DOWN_CASES = [
    (ActionSearchResources, tracker("grants in Kenya", "ask_funding",
                                    [entity("country", "KE", "Kenya", 10)],
                                    slots={"country": "KE"})),
    (ActionSearchResources, tracker("I need funding", "ask_funding")),
    (ActionHandleFallback, tracker("and in Uganda?", "nlu_fallback",
                                   [entity("country", "UG", "Uganda", 7)],
                                   slots={"topic": "hubs", "country": "UG"})),
    (ActionEscalateToStaff, tracker("/request_human", "request_human")),
    (ActionChangeLanguage, tracker("in French", "change_language",
                                   [entity("language", "fr", "French", 3)])),
    (ActionHandleAffirmDeny, tracker("yes", "affirm", slots={"pending": "offer_human"})),
]


@pytest.fixture
async def database_down() -> AsyncIterator[None]:
    runtime.start(Settings(database_url=DOWN_URL))
    try:
        yield
    finally:
        await runtime.stop()


@pytest.mark.parametrize(("action", "t"), DOWN_CASES,
                         ids=[f"{a.__name__}-{i}" for i, (a, _) in enumerate(DOWN_CASES)])
async def test_database_down_is_reported(database_down: None, action: type[Action],
                                         t: Tracker) -> None:
    messages, events = await run(action(), t)
    assert messages == [{"msgid": "error.database"}]
    assert events == []


async def test_failed_commit_takes_back_what_was_said(
    sessions: sessionmaker, database_url: str
) -> None:
    async with transaction(sessions) as session:
        await founders.get_or_create(session, USER)
        if database_url.startswith("sqlite"):
            await session.execute(sql_text(
                "CREATE TRIGGER refuse_updates BEFORE UPDATE ON founders "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
            ))
        else:
            await session.execute(sql_text(
                "CREATE FUNCTION refuse_updates() RETURNS trigger AS "
                "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql"))
            await session.execute(sql_text(
                "CREATE TRIGGER refuse_updates BEFORE UPDATE ON founders "
                "FOR EACH ROW EXECUTE FUNCTION refuse_updates()"))
    runtime.start(Settings(database_url=database_url))
    try:
        messages, events = await run(
            ActionChangeLanguage(),
            tracker("in Russian", "change_language", [entity("language", "ru", "Russian", 3)]),
        )
    finally:
        await runtime.stop()
    assert messages == [{"msgid": "error.database"}]
    assert events == []
    founder = await stored_founder(sessions)
    assert founder is not None and founder.language is None
