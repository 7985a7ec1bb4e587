"""Turn the bot's replies (message ids, parameters, buttons, search pages) into Telegram text.

This is the one place where user-facing text is rendered, in the founder's language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import telegram_html
from hubdata import callbacks, catalog, formatting, searches
from hubdata.i18n import Catalogs
from hubdata.models import Resource

PAGE_SIZE = 3
DESCRIPTION_CHARS = 320
TELEGRAM_MAX_CHARS = telegram_html.TELEGRAM_MAX_CHARS
BUTTONS_PER_ROW = 2


@dataclass
class Reply:
    """One outgoing message: HTML text and buttons (label, server-side action)."""

    text: str
    buttons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    nav: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reports: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # one per card


def button_label(catalogs: Catalogs, lang: str, button: dict[str, Any]) -> str:
    """A button's label: its message id rendered, or its literal label."""
    if "msgid" in button:
        return catalogs.render(lang, button["msgid"], button.get("params"))
    return str(button.get("label") or button.get("title") or "?")


def from_rasa(catalogs: Catalogs, lang: str, message: dict[str, Any]) -> Reply:
    """Render one of Rasa's replies: a custom payload with a message id, or plain text."""
    custom = message.get("custom")
    if isinstance(custom, dict) and "msgid" in custom:
        text = html.escape(catalogs.render(lang, custom["msgid"], custom.get("params")))
        for note in custom.get("notes") or []:  # further lines: which filters came from where
            if isinstance(note, dict) and "msgid" in note:
                text += "\n" + html.escape(catalogs.render(lang, note["msgid"],
                                                            note.get("params")))
        buttons = custom.get("buttons") or []
    else:
        text = html.escape(str(message.get("text") or ""))
        buttons = message.get("buttons") or []
    return Reply(
        text=text,
        buttons=[
            (button_label(catalogs, lang, b), {"kind": "say", "payload": str(b["payload"])})
            for b in buttons
            if isinstance(b, dict) and b.get("payload")
        ],
    )


def resource_card(catalogs: Catalogs, lang: str, number: int, resource: Resource,
                  today: date | None = None) -> str:
    """One search result: title, organisation, what it offers, dates and deadline, link,
    source and the date it was checked; a dated entry says when it was last known to hold."""
    today = today or date.today()
    text = resource.text(lang)
    description = text.description
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"

    def line(msgid: str, **params: Any) -> str:
        return html.escape(catalogs.render(lang, msgid, params))

    lines = [f"<b>{number}. {html.escape(text.title)}</b> — {html.escape(resource.organisation)}"]
    if resource.is_example:
        lines.append("⚠️ " + line("card.example"))
    elif resource.status == "dated" and resource.as_of:
        lines.append("🕰 " + line("card.last_known", year=str(resource.as_of.year)))
    if resource.amount_value is not None and resource.amount_currency:
        lines.append(line("card.amount_up_to", amount=formatting.money(
            resource.amount_value, resource.amount_currency, lang)))
    if text.amount:
        lines.append(line("card.amount", amount=text.amount))
    if resource.location:
        lines.append(line("card.location", location=resource.location))
    if resource.starts_on:
        lines.append(line("card.dates", start=resource.starts_on,
                          end=resource.ends_on or resource.starts_on))
        if catalog.is_past(resource, today):
            lines.append(line("card.past_edition"))
        elif resource.starts_on > today:
            lines.append(line("card.starts_in", days=formatting.days(
                (resource.starts_on - today).days, lang)))
    lines.extend(_call_window(catalogs, lang, resource, today))
    lines.append(html.escape(description))
    lines.append(line("card.link", url=resource.url))
    if resource.source_url and resource.verified_on:
        source = line("card.source", url=resource.source_url, date=resource.verified_on)
    elif resource.source_url:
        source = line("card.source_unverified", url=resource.source_url)
    else:
        source = ""
    if source:
        lines.append("<i>" + source + "</i>")
    return "\n".join(lines)


async def stored_answer(session: AsyncSession, catalogs: Catalogs, lang: str,
                        resource_id: str, today: date | None = None) -> Reply | None:
    """A direct answer (a ``faq`` entry): its question, its stored text, its source and date.

    None when the entry is gone or retired (the cards that follow still answer)."""
    try:
        resource = await catalog.get(session, resource_id)
    except catalog.ResourceNotFound:
        return None
    if resource.kind != "faq" or resource.status == "retired":
        return None
    text = resource.text(lang)
    lines = ["💡 <b>" + html.escape(text.title) + "</b>", html.escape(text.description)]
    if resource.status == "dated" and resource.as_of:
        lines.append("🕰 " + html.escape(catalogs.render(
            lang, "card.last_known", {"year": str(resource.as_of.year)})))
    lines.append(html.escape(catalogs.render(lang, "card.link", {"url": resource.url})))
    if resource.source_url and resource.verified_on:
        lines.append("<i>" + html.escape(catalogs.render(lang, "card.source", {
            "url": resource.source_url, "date": resource.verified_on})) + "</i>")
    return Reply(text="\n".join(lines))


def _call_window(catalogs: Catalogs, lang: str, resource: Resource, today: date) -> list[str]:
    """A call's opening and deadline, with how far away they are, in ``lang``."""
    out = []
    if resource.opens_on and resource.opens_on > today:
        out.append(catalogs.render(lang, "card.opens", {
            "date": formatting.long_date(resource.opens_on, lang),
            "days": formatting.days((resource.opens_on - today).days, lang)}))
    if resource.deadline and resource.deadline == today:
        out.append(catalogs.render(lang, "card.closes_today",
                                   {"date": formatting.long_date(resource.deadline, lang)}))
    elif resource.deadline and resource.deadline > today:
        out.append(catalogs.render(lang, "card.closes", {
            "date": formatting.long_date(resource.deadline, lang),
            "days": formatting.days((resource.deadline - today).days, lang)}))
    return ["⏳ " + html.escape(text) for text in out]


async def search_page(
    session: AsyncSession,
    catalogs: Catalogs,
    lang: str,
    search_id: int,
    page: int,
    intro: str | None = None,
) -> Reply | None:
    """Render one page of a stored search, with previous/next buttons. None if it is gone."""
    search = await searches.get(session, search_id)
    if search is None:
        return None
    pages = max(1, -(-len(search.result_ids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    ids = search.result_ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    resources = await catalog.get_many(session, ids)
    parts = [intro] if intro else []
    parts += [
        resource_card(catalogs, lang, page * PAGE_SIZE + i + 1, r) for i, r in enumerate(resources)
    ]
    if pages > 1:
        parts.append(html.escape(catalogs.render(lang, "page.position",
                                                 {"page": page + 1, "pages": pages})))
    reply = Reply(text="\n\n".join(parts))
    reply.reports = [
        (catalogs.render(lang, "report.button", {"number": page * PAGE_SIZE + i + 1}),
         {"kind": "report", "resource_id": r.id}) for i, r in enumerate(resources)]
    if page > 0:
        reply.nav.append((catalogs.render(lang, "page.previous"),
                          {"kind": "page", "search_id": search_id, "page": page - 1,
                           "intro": intro}))
    if page < pages - 1:
        reply.nav.append((catalogs.render(lang, "page.next"),
                          {"kind": "page", "search_id": search_id, "page": page + 1,
                           "intro": intro}))
    return reply


async def keyboard(
    session: AsyncSession, chat_id: int, reply: Reply
) -> InlineKeyboardMarkup | None:
    """Build the inline keyboard, storing each button's action server-side behind a token."""
    if not reply.buttons and not reply.nav and not reply.reports:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for label, action in reply.buttons:
        token = await callbacks.issue(session, chat_id, action)
        row.append(InlineKeyboardButton(label[:64], callback_data=token))
        if len(row) == BUTTONS_PER_ROW or len(label) > 24:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    if reply.reports:
        rows.append([
            InlineKeyboardButton(label, callback_data=await callbacks.issue(session, chat_id, a))
            for label, a in reply.reports
        ])
    if reply.nav:
        rows.append([
            InlineKeyboardButton(label, callback_data=await callbacks.issue(session, chat_id, a))
            for label, a in reply.nav
        ])
    return InlineKeyboardMarkup(rows)


def clip(text: str) -> str:
    """Keep a message (Telegram HTML) within Telegram's limit, its markup still valid."""
    return telegram_html.clip(text, TELEGRAM_MAX_CHARS)
