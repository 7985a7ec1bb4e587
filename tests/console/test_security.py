"""The console's sign-in hardening: HTTPS off loopback, token age and single use, the sign-in
rate limit and its folded audit entry, and the language form's local redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from console import auth
from console.app import make_app
from console.context import is_loopback
from console.session_views import local_path
from hubdata.db import transaction
from hubdata.models import AuditEntry
from hubdata.settings import Settings
from tests.console.conftest import CSRF, sign_in, token_for
from tests.hubdata.desk.conftest import AMINA, PEDRO, T0, Clock

HSTS = "Strict-Transport-Security"


async def login_csrf(client: TestClient) -> str:
    return CSRF.search(await (await client.get("/login")).text()).group(1)


async def try_token(client: TestClient, token: str, **headers: str) -> int:
    """Post the sign-in form once; the status (303 if signed in)."""
    csrf = await login_csrf(client)
    response = await client.post("/login", data={"token": token, "csrf": csrf},
                                 headers=headers, allow_redirects=False)
    return response.status


async def sign_in_refusals(sessions: sessionmaker) -> list[dict]:
    async with transaction(sessions) as session:
        rows = (await session.execute(
            select(AuditEntry).where(AuditEntry.action == "sign_in",
                                     AuditEntry.outcome == "refused")
            .order_by(AuditEntry.id))).scalars().all()
        return [dict(r.detail) for r in rows]


# ------------------------------------------------------------------- HTTPS off loopback
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "10.0.0.5", "console.example.org"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


async def test_on_loopback_cookies_are_not_secure_and_there_is_no_hsts(
        client: TestClient, team: sessionmaker) -> None:
    form = await client.get("/login")
    assert HSTS not in form.headers
    assert all("Secure" not in c for c in form.headers.getall("Set-Cookie"))
    csrf = CSRF.search(await form.text()).group(1)
    response = await client.post("/login", data={"token": await token_for(team, AMINA),
                                                 "csrf": csrf}, allow_redirects=False)
    assert response.status == 303 and HSTS not in response.headers
    session_cookie = [c for c in response.headers.getall("Set-Cookie")
                      if c.startswith(auth.COOKIE + "=")]
    assert session_cookie and "Secure" not in session_cookie[0]


@pytest.fixture
async def public_client(team: sessionmaker, settings: Settings, clock: Clock
                        ) -> AsyncIterator[TestClient]:
    """The console configured to listen on every interface (so behind a TLS proxy)."""
    app = make_app(replace(settings, console_host="0.0.0.0"), clock=clock)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_off_loopback_cookies_are_secure_and_hsts_is_sent(
        public_client: TestClient, team: sessionmaker) -> None:
    form = await public_client.get("/login")
    assert form.headers[HSTS].startswith("max-age=")
    login_cookie = form.headers["Set-Cookie"]
    assert login_cookie.startswith(auth.LOGIN_COOKIE + "=") and "Secure" in login_cookie
    csrf = CSRF.search(await form.text()).group(1)
    # The test client speaks plain HTTP, so it keeps Secure cookies to itself: send them.
    response = await public_client.post(
        "/login", data={"token": await token_for(team, AMINA), "csrf": csrf},
        headers={"Cookie": f"{auth.LOGIN_COOKIE}={csrf}"}, allow_redirects=False)
    assert response.status == 303 and response.headers[HSTS].startswith("max-age=")
    session_cookie = [c for c in response.headers.getall("Set-Cookie")
                      if c.startswith(auth.COOKIE + "=")]
    assert session_cookie and "Secure" in session_cookie[0] and "HttpOnly" in session_cookie[0]
    health = await public_client.get("/health")
    assert HSTS in health.headers


# ------------------------------------------------------------- token age and single use
async def test_a_token_within_its_maximum_age_signs_in(
        client: TestClient, team: sessionmaker, clock: Clock) -> None:
    token = await token_for(team, AMINA)
    clock.advance(days=6, hours=23)
    assert await try_token(client, token) == 303


async def test_an_expired_token_is_refused(
        client: TestClient, team: sessionmaker, clock: Clock) -> None:
    token = await token_for(team, AMINA)  # issued at T0
    clock.advance(days=7, seconds=1)
    assert await try_token(client, token) == 401
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_the_maximum_age_is_a_setting(
        team: sessionmaker, settings: Settings, clock: Clock) -> None:
    app = make_app(replace(settings, console_token_max_age_days=1), clock=clock)
    token = await token_for(team, AMINA)
    clock.advance(days=1, minutes=1)
    async with TestClient(TestServer(app)) as client:
        assert await try_token(client, token) == 401


async def test_a_token_signs_in_only_once(client: TestClient, team: sessionmaker) -> None:
    token = await token_for(team, AMINA)
    await sign_in(client, token)
    assert (await client.get("/", allow_redirects=False)).status == 200
    client.session.cookie_jar.clear()  # another browser, or the same one signed out
    assert await try_token(client, token) == 401
    assert await try_token(client, await token_for(team, AMINA)) == 303  # a new one works


async def test_reissuing_a_token_ends_the_members_sessions(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    await sign_in(client, await token_for(team, AMINA))
    async with TestClient(TestServer(make_app(settings, clock=clock))) as other:
        await sign_in(other, await token_for(team, PEDRO))
        assert (await client.get("/", allow_redirects=False)).status == 200
        await token_for(team, AMINA)  # e.g. her laptop was lost
        assert (await client.get("/", allow_redirects=False)).status == 303
        assert (await other.get("/", allow_redirects=False)).status == 200  # Pedro's stays


# ------------------------------------------------------------------ sign-in rate limit
async def test_sign_in_is_rate_limited_per_address_with_one_audit_entry(
        client: TestClient, team: sessionmaker, clock: Clock) -> None:
    token = await token_for(team, AMINA)
    for attempt in range(10):
        assert await try_token(client, f"emd_guess{attempt}") == 401
        clock.advance(seconds=5)
    csrf = await login_csrf(client)
    response = await client.post("/login", data={"token": token, "csrf": csrf},
                                 headers={"Accept-Language": "fr"}, allow_redirects=False)
    assert response.status == 429  # even the right token, until the window has passed
    assert response.headers["Retry-After"] == "600"
    assert "Trop de tentatives de connexion" in await response.text()
    refusals = await sign_in_refusals(team)
    assert len(refusals) == 1
    assert refusals[0]["count"] == 11 and refusals[0]["limited"] == 1
    assert refusals[0]["address"] == "127.0.0.1"

    clock.advance(minutes=10)  # the first attempts leave the window
    assert await try_token(client, "emd_guess_again") == 401
    assert len(await sign_in_refusals(team)) == 2  # a new window, a new entry
    assert await try_token(client, token) == 303


def test_the_throttle_counts_each_address_apart() -> None:
    throttle = auth.LoginThrottle(attempts=2, window=timedelta(minutes=10))
    assert throttle.allow("10.0.0.1", T0) and throttle.allow("10.0.0.1", T0)
    assert not throttle.allow("10.0.0.1", T0 + timedelta(minutes=9))
    assert throttle.allow("10.0.0.2", T0 + timedelta(minutes=9))
    assert throttle.allow("10.0.0.1", T0 + timedelta(minutes=10, seconds=1))


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    throttle = auth.LoginThrottle(attempts=1, window=timedelta(minutes=10))
    for n in range(auth.MAX_ADDRESSES + 50):
        throttle.allow(f"a{n}", T0)
    assert len(throttle.seen) <= auth.MAX_ADDRESSES


# ------------------------------------------------------------- the language form's "back"
HOSTILE = [
    "//evil.example", "/\\evil.example", "\\/evil.example", "\\\\evil.example",
    "/\\/evil.example", "//evil.example/path?x=1", "///evil.example", "/\t/evil.example",
    "/\n/evil.example", "/\r\n/evil.example", " //evil.example", "https://evil.example/",
    "http:evil.example", "javascript:alert(1)", "evil.example", "//evil.example@console",
    "/\x00/evil.example", "/\u3000/evil.example", "/%0a/evil.example\n", "",
]
LOCAL = ["/", "/metrics", "/tickets/12", "/?status=all&language=fr", "/catalogue?kind=grant",
         "/tickets/12#history"]


def stays_here(location: str) -> bool:
    """A browser at https://console.local/ would stay on that host."""
    target = urlsplit(urljoin("https://console.local/tickets/1", location))
    return (target.scheme, target.netloc) == ("https", "console.local") and \
        location.startswith("/") and not location.startswith("//") and "\\" not in location


@pytest.mark.parametrize("back", HOSTILE)
def test_hostile_back_values_go_home(back: str) -> None:
    assert local_path(back) == "/"


@pytest.mark.parametrize("back", LOCAL)
def test_local_back_values_are_kept(back: str) -> None:
    assert local_path(back) == back.split("#")[0]


@given(st.text(alphabet=st.sampled_from("/\\:@?#.%\t\n ae0"), max_size=12))
def test_every_redirect_stays_on_the_console(back: str) -> None:
    assert stays_here(local_path(back))


@given(st.sampled_from(["", "/", "//", "/\\", "\\", "http:", "https://"]),
       st.sampled_from(["evil.example", "/evil.example", "\\evil.example", "@evil.example"]))
def test_a_host_in_back_is_never_followed(prefix: str, host: str) -> None:
    assert stays_here(local_path(prefix + host))


async def test_the_language_form_redirects_only_within_the_console(
        client: TestClient, team: sessionmaker) -> None:
    csrf = await sign_in(client, await token_for(team, AMINA))
    for back in HOSTILE[:8] + LOCAL[:4]:
        response = await client.post("/language", data={"csrf": csrf, "lang": "fr",
                                                         "back": back}, allow_redirects=False)
        assert response.status == 303
        location = response.headers["Location"]
        assert stays_here(location), (back, location)
        assert location == (back if back in LOCAL else "/")
