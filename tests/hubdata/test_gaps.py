"""Demand without supply: the gaps report from recorded searches (hubdata.gaps)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import sessionmaker

from hubdata import gaps
from hubdata.db import transaction
from hubdata.models import Search

NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


async def test_unmet_searches_are_counted_per_week_and_ranked_by_founders(
    sessions: sessionmaker,
) -> None:
    agritech_ug = {"topic": "funding", "country": "UG", "sector": "agritech"}
    rows = [
        # three founders found nothing for agritech funding in Uganda, over two weeks
        (1, agritech_ug, "none", NOW - timedelta(days=1)),
        (2, agritech_ug, "none", NOW - timedelta(days=2)),
        (3, agritech_ug, "weak", NOW - timedelta(days=9)),
        (3, agritech_ug, "none", NOW - timedelta(days=9, hours=1)),
        # one founder, twice, found only dated entries for hubs in Peru
        (4, {"topic": "hubs", "country": "PE"}, "weak", NOW - timedelta(days=3)),
        (4, {"topic": "hubs", "country": "PE"}, "weak", NOW - timedelta(days=3, hours=2)),
        # answered well, or too old: not gaps
        (5, {"topic": "hubs", "country": "KE"}, "ok", NOW - timedelta(days=1)),
        (6, {"topic": "events"}, "none", NOW - timedelta(weeks=20)),
    ]
    async with transaction(sessions) as session:
        session.add_all([Search(user_id=u, topic=f["topic"], filters=f, result_ids=[],
                                supply=supply, created_at=at) for u, f, supply, at in rows])
    async with transaction(sessions) as session:
        found = await gaps.report(session, NOW - timedelta(weeks=8))
    assert [g.key for g in found] == [("funding", "UG", "agritech", None, None),
                                      ("hubs", "PE", None, None, None)]
    first, second = found
    assert (len(first.founders), first.total, first.none, first.weak) == (3, 4, 3, 1)
    assert first.weeks == {"2026-W49": 2, "2026-W48": 2}
    assert first.filters == agritech_ug
    assert (len(second.founders), second.total, second.weak) == (1, 2, 2)


def test_weeks_back_ends_with_this_week() -> None:
    assert gaps.weeks_back(date(2026, 12, 6), 3) == ["2026-W47", "2026-W48", "2026-W49"]
