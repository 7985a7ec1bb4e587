"""The staff registry and console tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.desk.results import CLI, Actor
from hubdata.models import Staff
from tests.hubdata.desk.conftest import AMINA, PEDRO, T0

ADMIN = Actor(None, CLI)


async def test_add_update_list_and_speakers(team: sessionmaker) -> None:
    async with transaction(team) as session:
        member, created = await staff.add(session, AMINA, "Amina K.", ["ar", "fr"],
                                          actor=ADMIN, now=T0)
        assert not created and member.languages == ["ar", "fr"]
        assert [m.user_id for m in await staff.speakers_of(session, "fr")] == [AMINA]
        assert [m.user_id for m in await staff.speakers_of(session, "pt")] == [PEDRO]
        assert [m.name for m in await staff.listing(session)] == ["Amina K.", "Pedro"]
        assert staff.interface_language(member) == "ar"


@pytest.mark.parametrize("languages", [["xx"], [], ["  "]])
async def test_languages_are_checked(team: sessionmaker, languages: list[str]) -> None:
    async with transaction(team) as session:
        with pytest.raises(staff.StaffError):
            await staff.add(session, 1, "X", languages, actor=ADMIN, now=T0)


async def test_console_tokens_are_stored_as_hashes_and_replaced(team: sessionmaker) -> None:
    async with transaction(team) as session:
        first = await staff.issue_token(session, AMINA, actor=ADMIN, now=T0)
    async with transaction(team) as session:
        second = await staff.issue_token(session, AMINA, actor=ADMIN, now=T0)
        stored = (await session.execute(select(Staff.token_hash))).scalars().all()
        assert first not in stored and second not in stored
        assert staff.token_hash(second) in stored
        assert await staff.by_token(session, first) is None
        assert (await staff.by_token(session, second)).user_id == AMINA
        assert await staff.by_token(session, "emd_guess") is None
        assert await staff.by_token(session, "") is None


async def test_removed_staff_lose_their_token(team: sessionmaker) -> None:
    async with transaction(team) as session:
        token = await staff.issue_token(session, PEDRO, actor=ADMIN, now=T0)
        await staff.deactivate(session, PEDRO, actor=ADMIN, now=T0)
    async with transaction(team) as session:
        assert await staff.by_token(session, token) is None
        assert await staff.active(session, PEDRO) is None
        assert [m.user_id for m in await staff.listing(session, include_inactive=True)] == [
            AMINA, PEDRO]
        with pytest.raises(staff.StaffError):
            await staff.issue_token(session, PEDRO, actor=ADMIN, now=T0)
