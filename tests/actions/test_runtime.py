"""The actions' runtime."""

from __future__ import annotations

import pytest

from actions import runtime


async def test_runtime_must_be_started() -> None:
    with pytest.raises(RuntimeError):
        runtime.current()
