"""The console's founder data page: what is kept about one founder, a copy of it, and
erasure, for founders who ask staff by other means than /mydata and /forget. Audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from console.context import html, page_for, signed_in, state_of, take_flash
from console.layout import Page, csrf_field, esc, frame
from hubdata import privacy
from hubdata.db import transaction
from hubdata.desk import audit, moderation
from hubdata.desk.results import CONSOLE, Actor, Notice


def _user_id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**53 else None


def body(page: Page, user_id: int | None, counts: dict[str, int] | None) -> str:
    """The search form, then the founder's rows per table with the export and erase forms."""
    shown = "" if user_id is None else str(user_id)
    parts = [f'<form method="get" action="/founders" class="filters"><label>'
             f'{page.t("console.founder_id")} <input name="user_id" value="{esc(shown)}" '
             f'inputmode="numeric" required></label> '
             f'<button type="submit">{page.t("console.apply")}</button></form>']
    if user_id is None or counts is None:
        return "".join(parts)
    if not any(counts.values()):
        parts.append(f"<p>{page.t('console.founder_nothing_kept', founder=user_id)}</p>")
        return "".join(parts)
    rows = "".join(f"<tr><td><code>{esc(table)}</code></td><td>{count}</td></tr>"
                   for table, count in counts.items() if count and table != "muted")
    parts.append(f'<table class="founder-data"><thead><tr><th>{page.t("console.table")}</th>'
                 f'<th>{page.t("console.rows")}</th></tr></thead><tbody>{rows}</tbody></table>')
    parts.append(f'<form method="post" action="/founders/{user_id}/export" class="inline">'
                 f'{csrf_field(page)}<button type="submit">{page.t("console.founder_export")}'
                 "</button></form>")
    muted = counts.get("muted", 0)
    parts.append(f'<form method="post" action="/founders/{user_id}/'
                 f'{"unmute" if muted else "mute"}" class="inline">{csrf_field(page)}'
                 f'<button type="submit">'
                 f'{page.t("console.founder_unmute" if muted else "console.founder_mute")}'
                 "</button></form>")
    parts.append(f'<form method="post" action="/founders/{user_id}/forget" class="danger">'
                 f'{csrf_field(page)}<label><input type="checkbox" name="confirm" value="yes" '
                 f'required> {page.t("console.founder_forget_confirm", founder=user_id)}</label> '
                 f'<button type="submit" class="danger">{page.t("console.founder_forget")}'
                 "</button></form>")
    return "".join(parts)


async def founder_page(request: web.Request) -> web.Response:
    """What is kept about one founder, table by table."""
    state = state_of(request)
    assert state.sessions is not None
    user_id = _user_id(request.query.get("user_id", ""))
    counts = None
    if user_id is not None:
        async with transaction(state.sessions) as session:
            data = await privacy.export(session, user_id)
        counts = {table: len(rows) for table, rows in data.items()}
        counts["muted"] = int(any(f.get("muted_at") for f in data["founders"]))
    page = page_for(request, take_flash(request))
    return html(frame(page, "console.founders_title", body(page, user_id, counts),
                      active="founders"))


async def export_founder(request: web.Request) -> web.Response:
    """Download everything kept about the founder as JSON (audited, without naming them)."""
    state = state_of(request)
    assert state.sessions is not None
    _, member = signed_in(request)
    user_id = _user_id(request.match_info["user_id"]) or 0
    async with transaction(state.sessions) as session:
        data: dict[str, Any] = await privacy.export(session, user_id)
        audit.record(session, Actor(int(member.user_id), CONSOLE), "founder_export",
                     now=state.clock(), rows=sum(len(rows) for rows in data.values()))
    return web.Response(
        body=privacy.as_json(data).encode("utf-8"), content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="founder-{user_id}.json"'})


async def forget_founder(request: web.Request) -> web.StreamResponse:
    """Erase everything kept about the founder, everywhere, after an explicit confirmation."""
    state = state_of(request)
    assert state.sessions is not None
    row, member = signed_in(request)
    user_id = _user_id(request.match_info["user_id"]) or 0
    form = await request.post()
    if form.get("confirm") != "yes":
        notice, ok = Notice("console.founder_forget_unconfirmed"), False
    else:
        try:
            counts = await privacy.forget_founder(state.sessions, state.settings, user_id,
                                                  Actor(int(member.user_id), CONSOLE))
            notice = Notice("console.founder_erased", {"count": sum(counts.values())})
            ok = True
        except privacy.ErasureUnavailable:
            notice, ok = Notice("console.founder_erase_unavailable"), False
    state.flashes[str(row.id_hash)] = (notice, ok)
    raise web.HTTPSeeOther(f"/founders?user_id={user_id}")


async def mute_founder(request: web.Request) -> web.StreamResponse:
    """Mute or unmute the founder (the path says which)."""
    state = state_of(request)
    assert state.sessions is not None
    row, member = signed_in(request)
    user_id = _user_id(request.match_info["user_id"]) or 0
    muted = request.match_info["op"] == "mute"
    async with transaction(state.sessions) as session:
        result = await moderation.set_muted(session, Actor(int(member.user_id), CONSOLE),
                                            user_id, muted, now=state.clock())
    if result.notice is not None:
        state.flashes[str(row.id_hash)] = (result.notice, result.ok)
    raise web.HTTPSeeOther(f"/founders?user_id={user_id}")


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/founders", founder_page),
    ("POST", r"/founders/{user_id:\d+}/export", export_founder),
    ("POST", r"/founders/{user_id:\d+}/forget", forget_founder),
    ("POST", r"/founders/{user_id:\d+}/{op:(mute|unmute)}", mute_founder),
]
