"""Founders' reports on result cards (hubdata.reports), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hubdata import reports
from hubdata.db import transaction
from hubdata.models import Founder, Resource, ResourceReport, ResourceText

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
USER = 77


async def setup(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        for rid, status in (("open-entry", "current"), ("old-entry", "retired")):
            row = Resource(id=rid, kind="hub", organisation="Org", areas=["001"], sectors=["any"],
                           stages=["any"], languages=["en"], url="https://example.org",
                           source_url="https://example.org/s", status=status,
                           verified_on=date(2026, 12, 1))
            row.texts.append(ResourceText(lang="en", title="T", description="D"))
            session.add(row)
        session.add(Founder(user_id=USER))


async def count(sessions: sessionmaker) -> int:
    async with transaction(sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(ResourceReport)))


async def record(sessions: sessionmaker, reason: str, rid: str = "open-entry",
                 at: datetime = NOW, text: str | None = None) -> str:
    async with transaction(sessions) as session:
        return await reports.record(session, USER, rid, reason, at, text)


async def test_a_report_is_recorded_once_and_not_on_a_retired_or_unknown_entry(
    sessions: sessionmaker,
) -> None:
    await setup(sessions)
    assert await record(sessions, "outdated") == reports.RECORDED
    assert await record(sessions, "outdated") == reports.DUPLICATE
    assert await record(sessions, "outdated", "old-entry") == reports.GONE
    assert await record(sessions, "outdated", "no-such-entry") == reports.GONE
    assert await record(sessions, "forged-reason") == reports.GONE
    assert await count(sessions) == 1


async def test_many_reports_get_one_notice_then_are_ignored_for_a_day(
    sessions: sessionmaker,
) -> None:
    await setup(sessions)
    for n in range(reports.DAILY_LIMIT):
        assert await record(sessions, "other", text=f"problem {n}") == reports.RECORDED
    assert await record(sessions, "other", text="one more") == reports.LIMITED
    assert await record(sessions, "other", text="and more") == reports.IGNORED
    assert await count(sessions) == reports.DAILY_LIMIT
    tomorrow = NOW + timedelta(days=1, minutes=1)
    assert await record(sessions, "other", at=tomorrow, text="next day") == reports.RECORDED


async def test_other_report_text_is_cleaned_and_cut(sessions: sessionmaker) -> None:
    await setup(sessions)
    await record(sessions, "other", text="  <b>bad</b>\n\n link " + "x" * 900)
    async with transaction(sessions) as session:
        stored = (await session.execute(select(ResourceReport))).scalar_one()
    assert stored.text.startswith("<b>bad</b> link x")  # kept as written; escaped when shown
    assert len(stored.text) == reports.TEXT_CHARS


def test_the_pending_other_report_expires_and_is_taken_once() -> None:
    founder = Founder(user_id=USER)
    reports.await_text(founder, "open-entry", NOW)
    assert reports.take_pending(founder, NOW + timedelta(minutes=5)) == "open-entry"
    assert reports.take_pending(founder, NOW + timedelta(minutes=6)) is None
    reports.await_text(founder, "open-entry", NOW)
    assert reports.take_pending(founder, NOW + timedelta(minutes=16)) is None
