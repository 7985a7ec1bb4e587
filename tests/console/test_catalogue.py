"""The catalogue desk over HTTP: list and filters, edit, validation, concurrent edits, retire,
re-verify, reports, the review queue, the permission and escaping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from console import catalogue_forms as forms
from console.app import make_app
from hubdata import catalog, seed
from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.desk.results import CLI, Actor
from hubdata.i18n import Catalogs
from hubdata.models import AuditEntry, Resource, ResourceReport, Search
from hubdata.seed import to_entry
from hubdata.settings import SUPPORTED_LANGUAGES, Settings
from tests.console.conftest import sign_in, token_for
from tests.hubdata.desk.conftest import AMINA, PEDRO, T0, Clock, audit_log

TODAY = T0.date()  # 2026-11-30


def entry(resource_id: str, kind: str, areas: list[str], **fields: Any) -> dict[str, Any]:
    """A valid seed-format entry."""
    base: dict[str, Any] = {
        "id": resource_id, "kind": kind, "organisation": "Org", "areas": areas,
        "sectors": ["edtech"], "stages": ["any"], "languages": ["en"],
        "url": f"https://example.org/{resource_id}", "source_url": "https://example.org/src",
        "status": "current", "as_of": "2026", "verified_on": "2026-11-01",
        "text": {"en": {"title": f"Title of {resource_id}", "description": "What it is."}}}
    base.update(fields)
    return base


ENTRIES = [
    entry("grant-sn", "funding", ["SN"], funding_type="grant", sectors=["agritech"],
          opens_on="2026-01-01", deadline="2027-03-01",
          amount_max={"value": 5000, "currency": "USD"},
          text={"en": {"title": "Seed grant", "description": "For agritech in Senegal.",
                       "amount": "US$5,000"},
                "fr": {"title": "Subvention d'amorçage", "description": "Agritech au Sénégal."}}),
    entry("hub-ke", "hub", ["KE"], sectors=["fintech"], verified_on="2025-01-10", as_of="2025",
          text={"en": {"title": "<b>Nairobi</b> Hub & co", "description": "A <i>hub</i>."}}),
    entry("event-old", "event", ["002"], starts_on="2026-05-01", ends_on="2026-05-03",
          verified_on="2026-04-01"),
    entry("mentor-world", "mentor", ["001"], status="example", verified_on=None,
          source_url=None, as_of=None),
    entry("training-x", "training", ["014"], verified_on="2025-06-01", as_of="2025",
          text={"en": {"title": "Training X", "description": "d"},
                "fr": {"title": "Formation X", "description": "d"}}),
]


@pytest.fixture
async def desk(team: sessionmaker) -> sessionmaker:
    """The team (Amina may edit the catalogue, Pedro not), five entries, searches, reports."""
    return await make_catalogue(team)


async def make_catalogue(team: sessionmaker) -> sessionmaker:
    """Let Amina edit the catalogue; add ENTRIES, three searches and two open reports."""
    async with transaction(team) as session:
        await staff.set_catalogue_permission(session, AMINA, True, actor=Actor(None, CLI),
                                             now=T0)
        for e in ENTRIES:
            assert not seed.validate(e, e["id"]), seed.validate(e, e["id"])
            session.add(seed.to_resource(e))
        await session.flush()
        for ids in (["event-old", "hub-ke"], ["event-old"], ["event-old", "grant-sn"]):
            session.add(Search(user_id=1, topic="events", result_ids=ids, created_at=T0))
        for reason, text in (("wrong", "<script>alert(1)</script> wrong"), ("broken_link", None)):
            session.add(ResourceReport(resource_id="mentor-world", user_id=7, reason=reason,
                                       text=text, status="open", created_at=T0))
    return team


async def signed_in_client(settings: Settings, clock: Clock, sessions: sessionmaker,
                           user_id: int, lang: str = "en") -> AsyncIterator[tuple[TestClient, str]]:
    app = make_app(settings, clock=clock)
    async with TestClient(TestServer(app)) as client:
        csrf = await sign_in(client, await token_for(sessions, user_id), lang=lang)
        yield client, csrf


@pytest.fixture
async def amina(desk: sessionmaker, settings: Settings, clock: Clock
                ) -> AsyncIterator[tuple[TestClient, str]]:
    """Amina, signed in (English)."""
    async for pair in signed_in_client(settings, clock, desk, AMINA):
        yield pair


async def stored(sessions: sessionmaker, resource_id: str) -> Resource:
    async with transaction(sessions) as session:
        resource = await session.get(Resource, resource_id)
        assert resource is not None
        return resource


async def form_of(sessions: sessionmaker, resource_id: str, csrf: str, **changes: str
                  ) -> dict[str, str]:
    """The edit form as the entry page fills it, with ``changes`` typed in."""
    resource = await stored(sessions, resource_id)
    values = forms.to_form(to_entry(resource))
    values.update(csrf=csrf, version=str(resource.version))
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    return values


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'id="error-{re.escape(field.replace(".", "-"))}"[^>]*>([^<]*)<', page)
    return found.group(1) if found else ""


async def catalogue_audits(sessions: sessionmaker) -> list[AuditEntry]:
    async with transaction(sessions) as session:
        query = select(AuditEntry).where(AuditEntry.action.startswith("catalogue."))
        return list((await session.execute(query.order_by(AuditEntry.id))).scalars())


async def test_list_and_filters(amina: tuple[TestClient, str]) -> None:
    client, _ = amina

    async def shown(**query: str) -> set[str]:
        text = await (await client.get("/catalogue", params=query)).text()
        return {e["id"] for e in ENTRIES if f'id="entry-{e["id"]}"' in text}

    everything = {e["id"] for e in ENTRIES}
    assert await shown() == everything
    assert await shown(kind="hub") == {"hub-ke"}
    assert await shown(area="SN") == {"grant-sn", "event-old", "mentor-world"}  # 002, 001
    assert await shown(area="014") == {"training-x"}
    assert await shown(sector="agritech") == {"grant-sn"}
    assert await shown(status="example") == {"mentor-world"}
    assert await shown(due="1") == everything - {"grant-sn"}
    assert await shown(missing="fr") == {"hub-ke", "event-old", "mentor-world"}
    assert await shown(kind="hub", area="SN") == set()
    assert await shown(area="XX") == everything  # an unknown code does not filter


async def test_an_edit_is_saved_and_audited_with_old_and_new_values(
        amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, csrf = amina
    page = await (await client.get("/catalogue/entries/grant-sn")).text()
    assert 'value="Subvention d&#x27;amorçage"' in page and 'value="5000"' in page
    data = await form_of(desk, "grant-sn", csrf, text__en__title="Seed grant 2027",
                         deadline="2027-04-01", text__es__title="Subvención semilla",
                         text__es__description="Agritech en Senegal.")
    response = await client.post("/catalogue/entries/grant-sn", data=data)
    page = await response.text()
    assert response.status == 200 and "Saved. The change is in the history." in page
    resource = await stored(desk, "grant-sn")
    assert resource.deadline == date(2027, 4, 1) and resource.version == 2
    assert {t.lang: t.title for t in resource.texts} == {
        "en": "Seed grant 2027", "fr": "Subvention d'amorçage", "es": "Subvención semilla"}
    [edit] = [a for a in await catalogue_audits(desk) if a.action == "catalogue.edit"]
    assert (edit.actor_id, edit.channel, edit.outcome) == (AMINA, "console", "ok")
    assert edit.detail["resource_id"] == "grant-sn"
    assert edit.detail["changes"] == {
        "deadline": ["2027-03-01", "2027-04-01"],
        "text.en.title": ["Seed grant", "Seed grant 2027"],
        "text.es.title": [None, "Subvención semilla"],
        "text.es.description": [None, "Agritech en Senegal."],
        "text.es.amount": [None, "US$5,000"]}  # as an import does: the English amount
    history = page.split('id="history"', 1)[1]
    assert "text.en.title</code>: Seed grant → Seed grant 2027" in history
    assert "edited" in history and "Amina" in history


async def test_a_save_without_changes_changes_nothing(
        amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, csrf = amina
    page = await (await client.post("/catalogue/entries/hub-ke",
                                    data=await form_of(desk, "hub-ke", csrf))).text()
    assert "Nothing was changed." in page
    assert (await stored(desk, "hub-ke")).version == 1
    assert not await catalogue_audits(desk)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"areas": "SN, XX"}, "areas", "unknown country or region code XX"),
    ({"url": "www.example.org no scheme"}, "url", "is not an http(s) URL"),
    ({"opens_on": "2027-05-01"}, "deadline", "is before Opens on"),
    ({"text__en__title": "  "}, "text.en.title", "needs a title"),
    ({"verified_on": "30/11/2026"}, "verified_on", "is not a date (YYYY-MM-DD)"),
    ({"amount_currency": "XYZ"}, "amount_value", "needs a positive number and a currency"),
])
async def test_each_validation_error_is_shown_beside_its_field_and_nothing_is_saved(
        amina: tuple[TestClient, str], desk: sessionmaker, changes: dict[str, str], field: str,
        message: str) -> None:
    client, csrf = amina
    data = await form_of(desk, "grant-sn", csrf, organisation="Changed too", **changes)
    response = await client.post("/catalogue/entries/grant-sn", data=data)
    page = await response.text()
    assert response.status == 422
    assert message in error_beside(page, field), page
    assert "Not saved: 1 field(s) to correct" in page
    assert 'value="Changed too"' in page  # what was typed stays in the form
    resource = await stored(desk, "grant-sn")
    assert (resource.version, resource.organisation) == (1, "Org")
    assert not await catalogue_audits(desk)


async def test_the_console_validates_as_the_import_does(desk: sessionmaker) -> None:
    """The form's entry is the seed format: a round trip gives back what import accepts."""
    for e in ENTRIES:
        resource = await stored(desk, e["id"])
        again = forms.to_entry(forms.to_form(to_entry(resource)))
        assert not seed.validate(again, e["id"])
        assert again["text"]["en"]["title"] == resource.text("en").title


async def test_a_second_concurrent_edit_is_refused_and_shown_the_new_version(
        amina: tuple[TestClient, str], desk: sessionmaker, settings: Settings,
        clock: Clock) -> None:
    client, csrf = amina
    async with transaction(desk) as session:
        await staff.set_catalogue_permission(session, PEDRO, True, actor=Actor(None, CLI),
                                             now=T0)
    first = await form_of(desk, "hub-ke", csrf, organisation="Amina's edit")
    async for pedro, pedro_csrf in signed_in_client(settings, clock, desk, PEDRO):
        second = await form_of(desk, "hub-ke", pedro_csrf, location="Pedro's edit")
        assert (await client.post("/catalogue/entries/hub-ke", data=first)).status == 200
        response = await pedro.post("/catalogue/entries/hub-ke", data=second)
        page = await response.text()
        assert response.status == 409
        assert "someone changed this entry since you opened it" in page
        assert 'value="Amina&#x27;s edit"' in page  # the new version is shown
        assert 'name="version" value="2"' in page
        assert "Pedro&#x27;s edit" in page.split('id="unsaved"', 1)[1].split("</section>")[0]
    resource = await stored(desk, "hub-ke")
    assert (resource.organisation, resource.location, resource.version) == (
        "Amina's edit", None, 2)
    outcomes = [(a.actor_id, a.action, a.outcome) for a in await catalogue_audits(desk)]
    assert outcomes == [(AMINA, "catalogue.edit", "ok"), (PEDRO, "catalogue.edit", "refused")]


async def test_retire_and_it_is_no_longer_offered(
        amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, csrf = amina
    query = catalog.Query(topic="hubs", country="KE")
    async with transaction(desk) as session:
        assert [r.id for r in await catalog.find(session, query, TODAY)] == ["hub-ke"]
    response = await client.post("/catalogue/entries/hub-ke/retire",
                                 data={"csrf": csrf, "version": "1"})
    page = await response.text()
    assert "founders will not be offered it any more" in page
    assert 'id="retire-form"' not in page  # a retired entry is not offered for retiring
    async with transaction(desk) as session:
        assert await catalog.find(session, query, TODAY) == []
    assert (await stored(desk, "hub-ke")).status == "retired"
    [retire] = await catalogue_audits(desk)
    assert (retire.action, retire.detail["changes"]) == (
        "catalogue.retire", {"status": ["current", "retired"]})
    review = await (await client.get("/catalogue/review")).text()
    assert 'id="review-hub-ke"' not in review


async def test_reverify_sets_today_and_the_confirmed_source(
        amina: tuple[TestClient, str], desk: sessionmaker, clock: Clock) -> None:
    client, csrf = amina
    bad = await client.post("/catalogue/entries/hub-ke/reverify",
                            data={"csrf": csrf, "version": "1", "source_url": "not a url"})
    assert bad.status == 422
    assert "is not an http(s) URL" in error_beside(await bad.text(), "confirm_source")
    assert (await stored(desk, "hub-ke")).verified_on == date(2025, 1, 10)
    response = await client.post("/catalogue/entries/hub-ke/reverify", data={
        "csrf": csrf, "version": "1", "source_url": "https://example.org/checked"})
    assert "Marked re-verified today." in await response.text()
    resource = await stored(desk, "hub-ke")
    assert (resource.verified_on, resource.source_url) == (
        TODAY, "https://example.org/checked")
    [audit] = await catalogue_audits(desk)
    assert audit.action == "catalogue.reverify"
    assert audit.detail["changes"] == {
        "source_url": ["https://example.org/src", "https://example.org/checked"],
        "verified_on": ["2025-01-10", TODAY.isoformat()]}
    due = await (await client.get("/catalogue", params={"due": "1"})).text()
    assert 'id="entry-hub-ke"' not in due


async def test_review_queue_most_shown_first_with_open_reports(
        amina: tuple[TestClient, str]) -> None:
    client, _ = amina
    page = await (await client.get("/catalogue/review")).text()
    order = re.findall(r'<tr id="review-([a-z0-9-]+)">', page)
    # event-old was in 3 searches, hub-ke in 1; mentor-world has 2 open reports; grant-sn
    # (shown once) is not due.
    assert order == ["event-old", "hub-ke", "mentor-world", "training-x"]
    row = page.split('id="review-mentor-world"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="shown">0</td><td class="reports">2</td>' in row
    assert "never verified" in row


async def test_reports_are_shown_escaped_and_can_be_closed(
        amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, csrf = amina
    page = await (await client.get("/catalogue/entries/mentor-world")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; wrong" in page and "<script>" not in page
    assert "Broken link" in page
    async with transaction(desk) as session:
        report_id = (await session.execute(select(ResourceReport.id).where(
            ResourceReport.reason == "wrong"))).scalar_one()
    page = await (await client.post(f"/catalogue/reports/{report_id}/close",
                                    data={"csrf": csrf})).text()
    assert "Report closed." in page
    assert f"/catalogue/reports/{report_id}/close" not in page
    async with transaction(desk) as session:
        report = await session.get(ResourceReport, report_id)
        assert (report.status, report.closed_by) == ("closed", AMINA)
    assert [a.action for a in await catalogue_audits(desk)] == ["catalogue.report_close"]
    assert "report closed" in page.split('id="history"', 1)[1]


async def test_add_a_new_entry(amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, csrf = amina
    values = forms.to_form(entry("new-hub", "hub", ["GH"]))
    values["csrf"] = csrf
    duplicate = await client.post("/catalogue/new", data={**values, "id": "hub-ke"})
    assert duplicate.status == 422
    assert "an entry with this id exists already" in error_beside(await duplicate.text(), "id")
    response = await client.post("/catalogue/new", data=values)
    assert "Entry added." in await response.text()
    assert str(response.url).endswith("/catalogue/entries/new-hub")
    assert (await stored(desk, "new-hub")).areas == ["GH"]
    [added] = await catalogue_audits(desk)
    assert added.action == "catalogue.add" and added.detail["changes"]["areas"] == [None, ["GH"]]


async def test_staff_without_the_permission_are_refused_in_their_language(
        desk: sessionmaker, settings: Settings, clock: Clock) -> None:
    async for client, csrf in signed_in_client(settings, clock, desk, PEDRO, lang="es"):
        for path in ("/catalogue", "/catalogue/review", "/catalogue/entries/hub-ke"):
            response = await client.get(path)
            assert response.status == 403
            assert "No tiene permiso para editar el catálogo" in await response.text()
        data = await form_of(desk, "hub-ke", csrf, organisation="Pedro")
        response = await client.post("/catalogue/entries/hub-ke", data=data)
        assert response.status == 403
        response = await client.post("/catalogue/entries/hub-ke/retire",
                                     data={"csrf": csrf, "version": "1"})
        assert response.status == 403
    resource = await stored(desk, "hub-ke")
    assert (resource.organisation, resource.status) == ("Org", "current")
    refused = [a for a in await audit_log(desk) if a[2].startswith("catalogue.")]
    assert refused == [(PEDRO, "console", action, None, "refused") for action in (
        "catalogue.view", "catalogue.view", "catalogue.view", "catalogue.edit",
        "catalogue.retire")]


async def test_entry_texts_are_escaped(amina: tuple[TestClient, str]) -> None:
    client, _ = amina
    listing = await (await client.get("/catalogue")).text()
    assert "&lt;b&gt;Nairobi&lt;/b&gt; Hub &amp; co" in listing and "<b>Nairobi" not in listing
    page = await (await client.get("/catalogue/entries/hub-ke")).text()
    assert "<title>Entry: &lt;b&gt;Nairobi&lt;/b&gt; Hub &amp; co" in page
    assert "A &lt;i&gt;hub&lt;/i&gt;." in page and "<i>hub" not in page


def test_every_catalogue_text_is_translated() -> None:
    catalogs = Catalogs()
    english = catalogs.gettext("en", "console.catalogue_title")
    assert english != "console.catalogue_title"
    for lang in SUPPORTED_LANGUAGES:
        assert catalogs.render(lang, "console.catalogue_not_allowed") != \
            "console.catalogue_not_allowed"
        for kind in ("funding", "faq"):
            assert catalogs.gettext(lang, f"console.catalogue_kind_{kind}") != \
                f"console.catalogue_kind_{kind}"


async def test_the_gaps_page_ranks_what_founders_did_not_find(
        amina: tuple[TestClient, str], desk: sessionmaker) -> None:
    client, _ = amina
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=timezone.utc)
    wanted = {"topic": "funding", "country": "UG", "sector": "agritech"}
    async with transaction(desk) as session:
        session.add_all([
            Search(user_id=u, topic="funding", filters=wanted, result_ids=[], supply="none",
                   created_at=now - timedelta(days=d)) for u, d in ((1, 1), (2, 8), (3, 9))])
        session.add(Search(user_id=4, topic="hubs", filters={"topic": "hubs", "country": "PE"},
                           result_ids=["x"], supply="weak", created_at=now - timedelta(days=2)))
    page = await (await client.get("/catalogue/gaps")).text()
    rows = re.findall(r'<tr class="gap"><td>(.*?)</td><td class="founders">(\d+)</td>', page)
    assert rows == [("Funding · Uganda · Agritech", "3"), ("Innovation hubs · Peru", "1")]
    assert page.count("<polyline") == 2 and 'id="gaps-chart"' in page
