"""The console on an in-process aiohttp test server, over a desk with two staff members."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import sessionmaker

from console.app import make_app
from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.desk.results import CLI, Actor
from hubdata.settings import Settings
from tests.hubdata.desk.conftest import STAFF_GROUP, T0, Clock, make_team

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    """Starts at T0."""
    return Clock()


@pytest.fixture
async def team(sessions: sessionmaker) -> sessionmaker:
    """Two staff members and a founder (see tests/hubdata/desk/conftest.py)."""
    return await make_team(sessions)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database and a staff group."""
    return Settings(database_url=database_url, staff_chat_id=STAFF_GROUP)


async def token_for(sessions: sessionmaker, user_id: int) -> str:
    """Issue a console token, as ``emergebot staff token`` does."""
    async with transaction(sessions) as session:
        return await staff.issue_token(session, user_id, actor=Actor(None, CLI), now=T0)


@pytest.fixture
async def client(team: sessionmaker, settings: Settings, clock: Clock
                 ) -> AsyncIterator[TestClient]:
    """A browser-like client of the console (it keeps cookies)."""
    app = make_app(settings, clock=clock)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def sign_in(client: TestClient, token: str, lang: str = "en") -> str:
    """Sign in through the form; return the CSRF token of the signed-in pages."""
    form = await (await client.get("/login", params={"lang": lang})).text()
    login_csrf = CSRF.search(form).group(1)
    response = await client.post("/login", data={"token": token, "csrf": login_csrf,
                                                 "lang": lang})
    assert response.status == 200, await response.text()
    page = await response.text()
    return CSRF.search(page).group(1)
