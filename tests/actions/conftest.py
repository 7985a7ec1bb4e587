"""Fixtures of the action tests: the action runtime started on a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from actions import runtime
from hubdata.db import transaction
from hubdata.models import Resource, ResourceText
from hubdata.settings import Settings


def hand_resource(rid: str, kind: str, areas: list[str], **fields: Any) -> Resource:
    row = Resource(
        id=rid, kind=kind, organisation="Org", areas=areas,
        sectors=fields.pop("sectors", ["any"]), stages=["any"], languages=["en"],
        url=f"https://example.org/{rid}", source_url="https://example.org/src",
        verified_on=date(2026, 11, 1), status="current", **fields,
    )
    row.texts.append(ResourceText(lang="en", title=rid, description="d"))
    return row


@pytest.fixture
async def live(seeded: sessionmaker, database_url: str) -> AsyncIterator[sessionmaker]:
    """The action runtime on the seeded database; yields a factory to inspect it."""
    runtime.start(Settings(database_url=database_url))
    try:
        yield seeded
    finally:
        await runtime.stop()


@pytest.fixture
async def small(sessions: sessionmaker, database_url: str) -> AsyncIterator[sessionmaker]:
    """The action runtime on a tiny hand-made catalogue: one hub in Kenya, one fintech grant."""
    async with transaction(sessions) as session:
        session.add_all([
            hand_resource("kenya-hub", "hub", ["KE"]),
            hand_resource("kenya-fintech-grant", "funding", ["KE"], funding_type="grant",
                          sectors=["fintech"]),
        ])
    runtime.start(Settings(database_url=database_url))
    try:
        yield sessions
    finally:
        await runtime.stop()
