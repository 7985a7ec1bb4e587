"""Stored searches (hubdata.searches)."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from hubdata import searches
from hubdata.db import transaction


async def test_add_stores_the_search_and_its_defaults(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        first = await searches.add(session, 5, "hubs", {"topic": "hubs", "country": "KE"},
                                   ("one", "two"), "weak")
        empty = await searches.add(session, 6, "funding", {"topic": "funding"}, [])
    assert empty == first + 1
    async with transaction(sessions) as session:
        stored, third = await searches.get(session, first), await searches.get(session, empty)
        columns = ("user_id", "topic", "filters", "result_ids", "supply")
        assert [getattr(stored, c) for c in columns] == [
            5, "hubs", {"topic": "hubs", "country": "KE"}, ["one", "two"], "weak"]
        assert stored.created_at is not None and third.created_at >= stored.created_at
        assert (third.result_ids, third.supply, third.filters) == ([], "ok",
                                                                   {"topic": "funding"})
