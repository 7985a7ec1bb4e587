"""Stored searches (hubdata.searches)."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from hubdata import searches
from hubdata.db import transaction


async def test_add_stores_the_row_save_stores(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        saved = await searches.save(session, 5, "hubs", {"topic": "hubs", "country": "KE"},
                                    ["one", "two"], "weak")
        added = await searches.add(session, 5, "hubs", {"topic": "hubs", "country": "KE"},
                                   ["one", "two"], "weak")
        empty = await searches.add(session, 6, "funding", {"topic": "funding"}, [], "none")
    assert added == saved.id + 1 and empty == added + 1
    async with transaction(sessions) as session:
        first, second = await searches.get(session, saved.id), await searches.get(session, added)
        columns = ("user_id", "topic", "filters", "result_ids", "supply")
        assert [getattr(second, c) for c in columns] == [getattr(first, c) for c in columns]
        assert second.created_at is not None and second.created_at >= first.created_at
        third = await searches.get(session, empty)
        assert (third.result_ids, third.supply, third.filters) == ([], "none",
                                                                   {"topic": "funding"})
