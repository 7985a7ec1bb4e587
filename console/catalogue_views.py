"""The catalogue desk's handlers: list, review queue, one entry, add, edit, retire, re-verify.

Each handler checks the catalogue permission through ``hubdata.catalogue_desk`` (refusals are
audited) and writes only through its service functions, with the signed-in staff member as the
actor (channel "console").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from console import catalogue_forms as forms
from console import catalogue_pages as pages
from console.context import html, page_for, signed_in, state_of, take_flash
from console.gaps_page import gaps as gaps_body
from hubdata import catalogue_desk as desk
from hubdata import gaps, lifecycle
from hubdata.db import transaction
from hubdata.desk import staff
from hubdata.desk.results import CONSOLE, Actor, Notice
from hubdata.models import Resource
from hubdata.seed import to_entry

FILTERS = ("kind", "area", "sector", "status", "due", "missing")


def _actor(request: web.Request) -> Actor:
    _, member = signed_in(request)
    return Actor(int(member.user_id), CONSOLE)


def _months(request: web.Request) -> int:
    # Settings may carry the review period (REVIEW_MONTHS); the lifecycle's default otherwise.
    return int(getattr(state_of(request).settings, "review_months", None)
               or lifecycle.DEFAULT_REVIEW_MONTHS)


def _flash(request: web.Request, notice: Notice | None, ok: bool) -> None:
    if notice is not None:
        row, _ = signed_in(request)
        state_of(request).flashes[str(row.id_hash)] = (notice, ok)


def _refused(request: web.Request) -> web.Response:
    return html(pages.refused(page_for(request)), status=403)


def _version(form: MultiDictProxy[Any]) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() else None


async def _view(request: web.Request, action: str, work: Callable[[AsyncSession], Awaitable[
        web.Response]], resource_id: str | None = None) -> web.Response:
    """Run ``work`` for a member with the permission; the audited refusal otherwise."""
    state = state_of(request)
    assert state.sessions is not None
    async with transaction(state.sessions) as session:
        refusal = await desk.allowed(session, _actor(request), action, now=state.clock(),
                                     resource_id=resource_id)
        if refusal is None:
            return await work(session)
    return _refused(request)


# ---------------------------------------------------------------------------- pages
async def list_page(request: web.Request) -> web.Response:
    """The catalogue, filtered by kind, area, sector, status, review and translations."""
    state = state_of(request)
    form = {k: request.query.get(k, "") for k in FILTERS}
    wanted = desk.CatalogueFilter.parse(**form)
    today = state.clock().date()

    async def work(session: AsyncSession) -> web.Response:
        rows = await desk.listing(session, wanted, today, _months(request))
        return html(pages.listing(page_for(request, take_flash(request)), rows, form, today,
                                  _months(request)))

    return await _view(request, "catalogue.view", work)


async def review_page(request: web.Request) -> web.Response:
    """Entries due for review, most shown to founders first."""
    today = state_of(request).clock().date()

    async def work(session: AsyncSession) -> web.Response:
        items = await desk.review_queue(session, today, _months(request))
        return html(pages.review(page_for(request, take_flash(request)), items))

    return await _view(request, "catalogue.view", work)


async def gaps_page(request: web.Request) -> web.Response:
    """What founders asked for and did not find, per week, most asked first."""
    now = state_of(request).clock()
    weeks = 8

    async def work(session: AsyncSession) -> web.Response:
        found = await gaps.report(session, now - timedelta(weeks=weeks))
        return html(gaps_body(page_for(request, take_flash(request)), found,
                              gaps.weeks_back(now.date(), weeks)))

    return await _view(request, "catalogue.view", work)


async def _entry_response(request: web.Request, session: AsyncSession, resource: Resource, *,
                          values: dict[str, str] | None = None,
                          errors: pages.Errors | None = None,
                          unsaved: dict[str, str] | None = None,
                          flash: tuple[Notice, bool] | None = None,
                          status: int = 200) -> web.Response:
    names = {int(m.user_id): str(m.name) for m in await staff.listing(session, True)}
    body = pages.entry(page_for(request, flash), resource,
                       values if values is not None else forms.to_form(to_entry(resource)),
                       errors or {}, await desk.reports(session, resource.id),
                       await desk.history(session, resource.id), names, _months(request),
                       unsaved)
    return html(body, status=status)


async def entry_page(request: web.Request) -> web.Response:
    """One entry: its form, founders' reports and history."""
    resource_id = request.match_info["resource_id"]

    async def work(session: AsyncSession) -> web.Response:
        resource = await session.get(Resource, resource_id)
        if resource is None:
            raise web.HTTPNotFound(text="no such entry")
        return await _entry_response(request, session, resource, flash=take_flash(request))

    return await _view(request, "catalogue.view", work, resource_id)


async def new_page(request: web.Request) -> web.Response:
    """The form for a new entry."""
    kind = request.query.get("kind", "")
    values = {"status": "current", "kind": kind, "sectors": "any", "stages": "any",
              "languages": "en"}

    async def work(session: AsyncSession) -> web.Response:
        return html(pages.new(page_for(request), values, {}))

    return await _view(request, "catalogue.view", work)


# -------------------------------------------------------------------------- changes
def _mine(submitted: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """The fields where what the staff member typed differs from what is stored now."""
    return {k: v for k, v in submitted.items()
            if k not in ("csrf", "version") and v.strip() != stored.get(k, "").strip()}


async def _saved(request: web.Request, operation: Callable[[AsyncSession], Awaitable[
        desk.Saved]], resource_id: str, submitted: dict[str, str] | None) -> web.Response:
    """Run a save; on success back to the entry, else its page with what went wrong."""
    state = state_of(request)
    assert state.sessions is not None
    try:
        async with transaction(state.sessions) as session:
            saved = await operation(session)
    except StaleDataError:  # saved by someone else between our read and our write
        async with transaction(state.sessions) as session:
            saved = desk.Saved(ok=False, conflict=True, resource=await session.get(
                Resource, resource_id), notice=Notice("console.catalogue_conflict"))
    if saved.ok:
        _flash(request, saved.notice, True)
        raise web.HTTPSeeOther(f"/catalogue/entries/{resource_id}")
    async with transaction(state.sessions) as session:
        resource = await session.get(Resource, resource_id)
        if saved.notice is not None and saved.notice.msgid == desk.NOT_ALLOWED:
            return _refused(request)
        if resource is None:
            raise web.HTTPNotFound(text="no such entry")
        flash = (saved.notice, False) if saved.notice is not None else None
        if saved.conflict:  # show the stored version, and what was not saved
            stored = forms.to_form(to_entry(resource))
            return await _entry_response(request, session, resource, flash=flash, status=409,
                                         unsaved=_mine(submitted or {}, stored))
        errors = forms.by_field(saved.errors)
        if submitted is None:  # re-verify: its errors go beside its own field
            errors = {("confirm_source" if k == "source_url" else k): v
                      for k, v in errors.items()}
        return await _entry_response(request, session, resource, values=submitted,
                                     errors=errors, flash=flash, status=422)


async def save_entry(request: web.Request) -> web.Response:
    """Save the edit form."""
    state = state_of(request)
    resource_id = request.match_info["resource_id"]
    form = await request.post()
    submitted = {k: str(v) for k, v in form.items()}
    entry = forms.to_entry(submitted)
    return await _saved(request, lambda s: desk.edit(
        s, _actor(request), resource_id, entry, _version(form), now=state.clock()),
        resource_id, submitted)


async def retire_entry(request: web.Request) -> web.Response:
    """Retire the entry (never offered again)."""
    state = state_of(request)
    resource_id = request.match_info["resource_id"]
    form = await request.post()
    return await _saved(request, lambda s: desk.retire(
        s, _actor(request), resource_id, _version(form), now=state.clock()), resource_id, None)


async def reverify_entry(request: web.Request) -> web.Response:
    """Mark the entry re-verified today against the confirmed source URL."""
    state = state_of(request)
    resource_id = request.match_info["resource_id"]
    form = await request.post()
    now = state.clock()
    return await _saved(request, lambda s: desk.reverify(
        s, _actor(request), resource_id, str(form.get("source_url") or ""), _version(form),
        today=now.date(), now=now), resource_id, None)


async def add_entry(request: web.Request) -> web.Response:
    """Add a new entry from the form."""
    state = state_of(request)
    assert state.sessions is not None
    form = await request.post()
    submitted = {k: str(v) for k, v in form.items() if k != "csrf"}
    entry = forms.to_entry(submitted)
    async with transaction(state.sessions) as session:
        saved = await desk.add(session, _actor(request), entry, now=state.clock())
    if saved.ok and saved.resource is not None:
        _flash(request, saved.notice, True)
        raise web.HTTPSeeOther(f"/catalogue/entries/{saved.resource.id}")
    if saved.notice is not None and saved.notice.msgid == desk.NOT_ALLOWED:
        return _refused(request)
    flash = (saved.notice, False) if saved.notice is not None else None
    return html(pages.new(page_for(request, flash), submitted, forms.by_field(saved.errors)),
                status=422)


async def close_report(request: web.Request) -> web.Response:
    """Close a founder's report."""
    state = state_of(request)
    assert state.sessions is not None
    report_id = int(request.match_info["report_id"])
    async with transaction(state.sessions) as session:
        done, notice, resource_id = await desk.close_report(session, _actor(request), report_id,
                                                            now=state.clock())
    if notice.msgid == desk.NOT_ALLOWED:
        return _refused(request)
    _flash(request, notice, done)
    raise web.HTTPSeeOther(f"/catalogue/entries/{resource_id}" if resource_id else "/catalogue")


ENTRY = r"/catalogue/entries/{resource_id:[a-z0-9][a-z0-9-]*}"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/catalogue", list_page),
    ("GET", "/catalogue/review", review_page),
    ("GET", "/catalogue/gaps", gaps_page),
    ("GET", "/catalogue/new", new_page),
    ("POST", "/catalogue/new", add_entry),
    ("GET", ENTRY, entry_page),
    ("POST", ENTRY, save_entry),
    ("POST", ENTRY + "/retire", retire_entry),
    ("POST", ENTRY + "/reverify", reverify_entry),
    ("POST", r"/catalogue/reports/{report_id:\d+}/close", close_report),
]
