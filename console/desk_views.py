"""The ticket desk's handlers: the queue, one ticket, metrics, and the actions on tickets.

Every action goes through the desk's service layer with the signed-in staff member as the actor
(channel "console"), so it is checked and audited exactly as in Telegram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from console import pages
from console.context import html, page_for, signed_in, state_of, take_flash
from hubdata.db import transaction
from hubdata.desk import audit, metrics, queries, staff, ticket_messages, transitions
from hubdata.desk.results import CONSOLE, Actor, Notice, Result
from hubdata.models import Ticket


async def _names(session: AsyncSession) -> dict[int, str]:
    return {int(m.user_id): str(m.name) for m in await staff.listing(session, True)}


# ----------------------------------------------------------------------------- pages
async def queue_page(request: web.Request) -> web.Response:
    """The queue, filtered by status, language, priority and age."""
    state = state_of(request)
    assert state.sessions is not None
    form = {k: request.query.get(k, "") for k in ("status", "language", "priority", "age")}
    wanted = queries.QueueFilter.parse(**form)
    now = state.clock()
    async with transaction(state.sessions) as session:
        rows = await queries.queue(session, now, wanted)
        names = await _names(session)
    page = page_for(request, take_flash(request))
    return html(pages.queue(page, rows, form, names, state.settings, now))


async def ticket_page(request: web.Request) -> web.Response:
    """One ticket."""
    state = state_of(request)
    assert state.sessions is not None
    _, member = signed_in(request)
    number = int(request.match_info["number"])
    async with transaction(state.sessions) as session:
        ticket = await session.get(Ticket, number)
        if ticket is None:
            raise web.HTTPNotFound(text="no such ticket")
        names = await _names(session)
        entries = await audit.entries(session, ticket_id=number)
    page = page_for(request, take_flash(request))
    return html(pages.ticket(page, ticket, member, names, entries, state.settings, state.clock()))


async def metrics_page(request: web.Request) -> web.Response:
    """Figures and charts."""
    state = state_of(request)
    assert state.sessions is not None
    days = request.query.get("days", "")
    now = state.clock()
    since = now - timedelta(days=int(days)) if days in ("7", "30") else None
    async with transaction(state.sessions) as session:
        figures = await metrics.compute(session, now, since)
    return html(pages.metrics(page_for(request, take_flash(request)), figures, days))


# --------------------------------------------------------------------------- actions
async def _act(request: web.Request, operation: Callable[[AsyncSession], Awaitable[Result]],
               back: str) -> web.StreamResponse:
    state = state_of(request)
    assert state.sessions is not None
    row, _ = signed_in(request)
    try:
        async with transaction(state.sessions) as session:
            result = await operation(session)
    except StaleDataError:
        result = Result(ok=False, notice=Notice("desk.conflict"))
    if result.notice is not None:
        state.flashes[str(row.id_hash)] = (result.notice, result.ok)
    if result.ok and result.ticket_id is not None:
        back = f"/tickets/{result.ticket_id}"
    raise web.HTTPSeeOther(back)


async def ticket_action(request: web.Request) -> web.StreamResponse:
    """Claim, release, resolve, reopen, set priority, reply or add a note."""
    state = state_of(request)
    _, member = signed_in(request)
    actor = Actor(int(member.user_id), CONSOLE)
    number, op = int(request.match_info["number"]), request.match_info["op"]
    form = await request.post()
    text = str(form.get("text") or "")
    now, settings = state.clock(), state.settings
    operations: dict[str, Callable[[AsyncSession], Awaitable[Result]]] = {
        "claim": lambda s: transitions.claim(s, settings, actor, number, now=now),
        "release": lambda s: transitions.release(s, settings, actor, number, now=now),
        "resolve": lambda s: transitions.resolve(s, settings, actor, number, now=now),
        "reopen": lambda s: transitions.reopen(s, settings, actor, number, now=now),
        "priority": lambda s: transitions.set_priority(s, settings, actor, number,
                                                       str(form.get("priority") or ""), now=now),
        "reply": lambda s: ticket_messages.reply(s, actor, number, text, now=now),
        "note": lambda s: ticket_messages.add_note(s, actor, number, text, now=now),
    }
    if op not in operations:
        raise web.HTTPNotFound(text="no such action")
    return await _act(request, operations[op], f"/tickets/{number}")


async def open_ticket(request: web.Request) -> web.StreamResponse:
    """Open a ticket for a founder who has written to the bot."""
    state = state_of(request)
    _, member = signed_in(request)
    actor = Actor(int(member.user_id), CONSOLE)
    form = await request.post()
    raw = str(form.get("founder") or "").strip()
    founder = int(raw) if raw.isdigit() else 0
    note = str(form.get("note") or "")
    return await _act(request, lambda s: transitions.open_for_founder(
        s, state.settings, actor, founder, now=state.clock(), note=note), "/")
