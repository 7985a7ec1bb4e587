"""The staff console over HTTP: sign-in, authorisation refusals, CSRF, actions, languages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.desk import announcements, staff, transitions
from hubdata.desk.results import CLI, TELEGRAM, Actor
from hubdata.desk.transcript import Line
from hubdata.settings import Settings
from tests.console.conftest import CSRF, sign_in, token_for
from tests.hubdata.desk.conftest import (
    AMINA,
    FOUNDER,
    PEDRO,
    Clock,
    audit_log,
    call,
    msgids,
    pending,
    request,
    ticket_of,
)


async def a_ticket(sessions: sessionmaker, settings: Settings, clock: Clock) -> int:
    number, _ = await request(sessions, settings, clock())
    await call(sessions, lambda s: announcements.announce(
        s, settings, number, now=clock(), founder_name="Awa <script>alert(1)</script>",
        transcript=[Line("founder", "Des subventions <b>agritech</b> ?")]))
    return number


async def test_every_page_needs_a_signed_in_staff_member(client: TestClient) -> None:
    for path in ("/", "/metrics", "/tickets/1"):
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, "/login")
    response = await client.post("/tickets/1/claim", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    health = await client.get("/health")
    assert await health.text() == "ok"


async def test_a_wrong_token_is_refused_and_audited(client: TestClient, team: sessionmaker
                                                    ) -> None:
    form = await (await client.get("/login")).text()
    assert 'type="password" name="token"' in form
    csrf = CSRF.search(form).group(1)
    response = await client.post("/login", data={"token": "emd_wrong", "csrf": csrf})
    assert response.status == 401
    assert "That token is not valid" in await response.text()
    assert (None, "console", "sign_in", None, "refused") in await audit_log(team)
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_sign_in_queue_and_ticket_look_like_telegram(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await a_ticket(team, settings, clock)
    await sign_in(client, await token_for(team, AMINA))
    queue = await (await client.get("/")).text()
    assert f'<a href="/tickets/{number}">#{number}</a>' in queue
    assert "Awa &lt;script&gt;alert(1)&lt;/script&gt;" in queue and "<script>" not in queue
    page = await (await client.get(f"/tickets/{number}")).text()
    assert f"🎫 Ticket #{number} · normal · waiting" in page  # the Telegram card's words
    assert "Des subventions &lt;b&gt;agritech&lt;/b&gt; ?" in page
    response = await client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_filters(client: TestClient, team: sessionmaker, settings: Settings,
                       clock: Clock) -> None:
    french = await a_ticket(team, settings, clock)
    spanish, _ = await request(team, settings, clock(), founder_id=77, language="es")
    await sign_in(client, await token_for(team, AMINA))

    async def shown(**query: str) -> set[int]:
        text = await (await client.get("/", params=query)).text()
        return {n for n in (french, spanish) if f'id="ticket-{n}"' in text}

    assert await shown() == {french, spanish}
    assert await shown(language="es") == {spanish}
    assert await shown(priority="urgent") == set()
    assert await shown(status="resolved") == set()
    assert await shown(age="1h") == set()
    clock.advance(hours=2)
    assert await shown(age="1h") == {french, spanish}


async def test_actions_reach_the_founder_through_the_outbox(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await a_ticket(team, settings, clock)
    csrf = await sign_in(client, await token_for(team, AMINA))
    claimed = await client.post(f"/tickets/{number}/claim", data={"csrf": csrf})
    assert f"Ticket #{number} is yours" in await claimed.text()
    page = await client.post(f"/tickets/{number}/reply",
                             data={"csrf": csrf, "text": "Voici deux appels ouverts."})
    assert "Sent to the founder" in await page.text()
    await client.post(f"/tickets/{number}/note", data={"csrf": csrf, "text": "appeler lundi"})
    await client.post(f"/tickets/{number}/priority", data={"csrf": csrf, "priority": "high"})
    ticket = await ticket_of(team, number)
    assert (ticket.status, ticket.assignee_id, ticket.priority) == ("claimed", AMINA, "high")
    assert [m.author for m in ticket.messages][-2:] == ["staff", "note"]
    rows = await pending(team)
    to_founder = [r for r in rows if r.chat_id == FOUNDER]
    assert [msgids(r.payload) for r in to_founder] == [["desk.claimed_founder"],
                                                       ["desk.staff_says"]]
    assert ("console", "reply") in {(a[1], a[2]) for a in await audit_log(team)}


async def test_another_staff_member_is_refused(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await a_ticket(team, settings, clock)
    await call(team, lambda s: transitions.claim(s, settings, Actor(AMINA, TELEGRAM), number,
                                                 now=clock()))
    before = len(await pending(team))
    csrf = await sign_in(client, await token_for(team, PEDRO))
    page = await (await client.post(f"/tickets/{number}/reply",
                                    data={"csrf": csrf, "text": "hola"})).text()
    assert "is handled by Amina; nothing was changed" in page
    assert len(await pending(team)) == before
    resolve = await (await client.post(f"/tickets/{number}/resolve", data={"csrf": csrf})).text()
    assert "is handled by Amina" in resolve
    assert (await ticket_of(team, number)).status == "claimed"


async def test_forms_without_the_csrf_token_change_nothing(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await a_ticket(team, settings, clock)
    await sign_in(client, await token_for(team, AMINA))
    for data in ({}, {"csrf": "forged"}):
        response = await client.post(f"/tickets/{number}/claim", data=data)
        assert response.status == 403
    assert (await ticket_of(team, number)).status == "waiting"
    assert sum(1 for a in await audit_log(team) if a[2] == "csrf") == 2


async def test_removed_staff_are_signed_out(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    await sign_in(client, await token_for(team, PEDRO))
    assert (await client.get("/", allow_redirects=False)).status == 200
    async with transaction(team) as session:
        await staff.deactivate(session, PEDRO, actor=Actor(None, CLI), now=clock())
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_language_from_the_browser_then_chosen(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    number = await a_ticket(team, settings, clock)
    login = await (await client.get("/login", headers={"Accept-Language": "ar;q=0.9, de"})).text()
    assert 'lang="ar" dir="rtl"' in login and "تسجيل الدخول" in login
    csrf = await sign_in(client, await token_for(team, AMINA), lang="fr")
    page = await (await client.get(f"/tickets/{number}")).text()
    assert f"Ticket n° {number} · normale · en attente" in page
    await client.post("/language", data={"csrf": csrf, "lang": "zh"})
    page = await (await client.get("/metrics")).text()
    assert "按主题统计的工单" in page and "<svg" in page


async def test_metrics_page_shows_the_figures(
        client: TestClient, team: sessionmaker, settings: Settings, clock: Clock) -> None:
    await a_ticket(team, settings, clock)
    await sign_in(client, await token_for(team, AMINA))
    page = await (await client.get("/metrics")).text()
    assert '<li id="metric-total">Tickets<strong>1</strong></li>' in page
    assert 'id="chart-topic"' in page and "Funding" in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing external
