"""Server-side inline-button data (hubdata.callbacks)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from hubdata import callbacks
from hubdata.db import transaction
from hubdata.models import CallbackToken, utcnow

CHAT = 4242
ACTION = {"do": "page", "search_id": 3, "page": 2}


async def issue(sessions: sessionmaker, chat_id: int = CHAT, action: dict | None = None) -> str:
    async with transaction(sessions) as session:
        return await callbacks.issue(session, chat_id, action or ACTION)


async def resolve(sessions: sessionmaker, chat_id: int, token: str) -> dict:
    async with transaction(sessions) as session:
        return await callbacks.resolve(session, chat_id, token)


async def test_issue_resolve_round_trip(sessions: sessionmaker) -> None:
    token = await issue(sessions)
    assert await resolve(sessions, CHAT, token) == ACTION
    # still valid on a second press
    assert await resolve(sessions, CHAT, token) == ACTION


async def test_tokens_map_to_their_own_actions(sessions: sessionmaker) -> None:
    first = await issue(sessions, action={"n": 1})
    second = await issue(sessions, action={"n": 2})
    assert await resolve(sessions, CHAT, second) == {"n": 2}
    assert await resolve(sessions, CHAT, first) == {"n": 1}


async def test_token_from_another_chat_is_refused(sessions: sessionmaker) -> None:
    token = await issue(sessions)
    with pytest.raises(callbacks.InvalidCallback):
        await resolve(sessions, CHAT + 1, token)


@pytest.mark.parametrize("token", ["unknown-tok", "", "A" * 12])
async def test_unknown_token_is_refused(sessions: sessionmaker, token: str) -> None:
    await issue(sessions)
    with pytest.raises(callbacks.InvalidCallback):
        await resolve(sessions, CHAT, token)


async def test_expired_token_is_refused(sessions: sessionmaker) -> None:
    token = await issue(sessions)
    async with transaction(sessions) as session:
        row = await session.get(CallbackToken, token)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(callbacks.InvalidCallback):
        await resolve(sessions, CHAT, token)


async def test_token_valid_until_it_expires(sessions: sessionmaker) -> None:
    token = await issue(sessions)
    async with transaction(sessions) as session:
        row = await session.get(CallbackToken, token)
        assert row is not None
        lifetime = row.expires_at - row.created_at
        assert timedelta(days=1) <= lifetime <= timedelta(days=31)
        row.expires_at = utcnow() + timedelta(minutes=1)
    assert await resolve(sessions, CHAT, token) == ACTION


async def test_overlong_token_is_refused_even_if_stored(sessions: sessionmaker) -> None:
    long_token = "L" * 25
    if sessions.kw["bind"].dialect.name == "sqlite":  # PostgreSQL refuses to store it at all
        async with transaction(sessions) as session:
            now = utcnow()
            session.add(CallbackToken(token=long_token, chat_id=CHAT, action=ACTION,
                                      created_at=now, expires_at=now + timedelta(days=1)))
    with pytest.raises(callbacks.InvalidCallback):
        await resolve(sessions, CHAT, long_token)


async def test_tokens_are_short_url_safe_and_distinct(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        tokens = [await callbacks.issue(session, CHAT, {"i": i}) for i in range(1000)]
    assert len(set(tokens)) == 1000
    assert all(12 <= len(t) <= 24 for t in tokens)  # >= 72 random bits, fits the column
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)
    # not sequential: no long shared prefix between consecutive tokens
    assert sum(a[:4] == b[:4] for a, b in zip(tokens[:-1], tokens[1:], strict=True)) < 5
