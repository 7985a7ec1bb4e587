"""One running stack for all end-to-end tests of the session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.e2e.harness import Stack, start_stack, stop_stack

_chat_ids = itertools.count(10_001)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole bot, started once."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture
def chat_id() -> int:
    """A fresh founder (private chat id = user id) for each test."""
    return next(_chat_ids)
