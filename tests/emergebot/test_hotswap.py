"""Rolling model swaps against fake Rasa servers: one at a time, the others keep answering,
a failure puts the swapped ones back, and nothing is touched when a server is down."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from emergebot import hotswap

TOKEN = "s3cret"


class FakeRasa:
    """Rasa's HTTP API as far as the swap uses it; loading blocks the event loop as Rasa does."""

    def __init__(self, model: str, load_seconds: float = 0.6, fail: bool = False) -> None:
        self.model, self.load_seconds, self.fail = model, load_seconds, fail
        self.loads: list[tuple[str, float, float]] = []  # model, start, end
        self.loop = asyncio.new_event_loop()
        app = web.Application()
        app.add_routes([web.get("/status", self.status), web.put("/model", self.load),
                        web.post("/model/parse", self.parse)])
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _authorised(self, request: web.Request) -> None:
        if request.query.get("token") != TOKEN:
            raise web.HTTPUnauthorized()

    async def status(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return web.json_response({"model_file": self.model, "model_id": "x"})

    async def load(self, request: web.Request) -> web.Response:
        self._authorised(request)
        path = Path((await request.json())["model_file"])
        started = time.monotonic()
        time.sleep(self.load_seconds)  # noqa: ASYNC251 - blocks the loop as Rasa's load does
        self.loads.append((path.name, started, time.monotonic()))
        if self.fail:
            return web.json_response({"message": "LoadingError"}, status=500)
        self.model = path.name
        return web.Response(status=204)

    async def parse(self, request: web.Request) -> web.Response:
        self._authorised(request)
        return web.json_response({"intent": {"name": "greet", "confidence": 1.0}})

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def fakes() -> Iterator[list[FakeRasa]]:
    servers = [FakeRasa("old.tar.gz"), FakeRasa("old.tar.gz")]
    yield servers
    for server in servers:
        server.close()


def _servers(fakes: list[FakeRasa], token: str = TOKEN) -> list[hotswap.Server]:
    return [hotswap.Server(f.url, token) for f in fakes]


def test_swaps_one_server_at_a_time_while_the_other_answers(fakes: list[FakeRasa]) -> None:
    reports = hotswap.rolling_swap(_servers(fakes), Path("/models/new.tar.gz"),
                                   Path("/models/old.tar.gz"), say=lambda _: None)
    assert [f.model for f in fakes] == ["new.tar.gz", "new.tar.gz"]
    (_, _, first_end), (_, second_start, _) = fakes[0].loads[0], fakes[1].loads[0]
    assert first_end <= second_start  # never both loading
    for report, other in zip(reports, reversed(fakes), strict=True):
        assert report.load_seconds >= 0.6
        assert 0.5 <= report.pause_seconds < 2.0  # requests to it waited for the load
        assert report.failed == 0
        assert report.others[other.url]["failed"] == 0
        assert report.others[other.url]["probes"] >= 5  # the other kept answering
        assert report.others[other.url]["max_s"] < 0.4


def test_a_failed_load_puts_the_swapped_servers_back(fakes: list[FakeRasa]) -> None:
    fakes[1].fail = True
    with pytest.raises(hotswap.SwapError, match="could not load new.tar.gz"):
        hotswap.rolling_swap(_servers(fakes), Path("/models/new.tar.gz"),
                             Path("/models/old.tar.gz"), say=lambda _: None)
    assert [f.model for f in fakes] == ["old.tar.gz", "old.tar.gz"]
    assert [name for name, _, _ in fakes[0].loads] == ["new.tar.gz", "old.tar.gz"]


def test_a_server_down_means_nothing_is_touched(fakes: list[FakeRasa]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    servers = [*_servers(fakes), hotswap.Server(dead, TOKEN)]
    with pytest.raises(hotswap.SwapError, match=f"Rasa at {dead} is not answering"):
        hotswap.rolling_swap(servers, Path("/models/new.tar.gz"), Path("/models/old.tar.gz"),
                             say=lambda _: None)
    assert fakes[0].loads == [] and fakes[1].loads == []


def test_a_wrong_token_is_explained(fakes: list[FakeRasa]) -> None:
    with pytest.raises(hotswap.SwapError, match="refused the token .* set RASA_TOKEN"):
        hotswap.rolling_swap(_servers(fakes, "wrong"), Path("/models/new.tar.gz"), None,
                             say=lambda _: None)
    assert fakes[0].loads == []


def test_the_printed_swap_figures_are_the_recorded_ones() -> None:
    """The maintainer reads the pause in the output and in the registry: the same number."""
    from emergebot.hotswap import SwapReport

    for pause in (1.4149999, 1.4150001, 0.0049, 2.005):
        report = SwapReport("http://r", 1.4149999, pause, 0.007, 84, 0, {})
        recorded = report.as_json()
        assert f"loaded in {recorded['load_s']:.2f} s" in str(report)
        assert f"waited up to {recorded['pause_s']:.2f} s" in str(report)
