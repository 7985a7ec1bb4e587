"""Console tokens in the staff registry: a maximum age, single use, reissue ends sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.desk.results import CLI, Actor
from hubdata.models import ConsoleSession
from tests.hubdata.desk.conftest import AMINA, PEDRO, T0

ADMIN = Actor(None, CLI)
WEEK = timedelta(days=7)


async def issued(sessions: sessionmaker, user_id: int = AMINA) -> str:
    async with transaction(sessions) as session:
        return await staff.issue_token(session, user_id, actor=ADMIN, now=T0)


async def redeem(sessions: sessionmaker, token: str, after: timedelta = timedelta()) -> int | None:
    async with transaction(sessions) as session:
        member = await staff.redeem_token(session, token, now=T0 + after, max_age=WEEK)
        return None if member is None else int(member.user_id)


async def test_a_token_is_redeemed_once(team: sessionmaker) -> None:
    token = await issued(team)
    assert await redeem(team, token) == AMINA
    assert await redeem(team, token) is None


async def test_a_token_past_its_maximum_age_is_refused(team: sessionmaker) -> None:
    token = await issued(team)
    assert await redeem(team, token, WEEK + timedelta(seconds=1)) is None
    assert await redeem(team, token, WEEK) == AMINA  # still unused, and exactly a week old


async def test_reissuing_ends_only_that_members_sessions(team: sessionmaker) -> None:
    async with transaction(team) as session:
        for n, member in enumerate((AMINA, AMINA, PEDRO)):
            session.add(ConsoleSession(id_hash=f"{n:064d}", staff_id=member, csrf_token="c",
                                       created_at=T0, expires_at=T0 + timedelta(hours=12)))
    await issued(team, AMINA)
    async with transaction(team) as session:
        left = (await session.execute(
            select(ConsoleSession.staff_id, func.count()).group_by(ConsoleSession.staff_id)
        )).all()
    assert dict(left) == {PEDRO: 1}
