"""Render the staff desk's payloads (hubdata/desk/cards.py) as Telegram HTML and keyboards."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import render
from hubdata import callbacks
from hubdata.i18n import Catalogs

QUOTE_CHARS = 600
MARKS = {"founder": "👤", "bot": "🤖", "staff": "🧑‍💼", "note": "📝"}


def _quote(part: dict[str, Any]) -> str:
    text = str(part.get("text") or "")
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1] + "…"
    mark = MARKS.get(str(part.get("quote")), "•")
    name = part.get("name")
    who = f" <b>{html.escape(str(name))}</b>:" if name else ""
    return f"{mark}{who} {html.escape(text)}"


def _mentions(part: dict[str, Any]) -> str:
    return ", ".join(f'<a href="tg://user?id={int(user_id)}">{html.escape(str(name))}</a>'
                     for user_id, name in part.get("mentions") or [])


def text(catalogs: Catalogs, payload: dict[str, Any]) -> str:
    """The message's HTML: one line per part, clipped to Telegram's limit."""
    lang = str(payload.get("lang") or "en")
    lines = []
    for part in payload.get("parts") or []:
        if "msgid" in part:
            lines.append(html.escape(catalogs.render(lang, part["msgid"], part.get("params"))))
        elif "quote" in part:
            lines.append(_quote(part))
        elif "mentions" in part:
            lines.append(_mentions(part))
    return render.clip("\n".join(lines))


def label(catalogs: Catalogs, lang: str, button: dict[str, Any]) -> str:
    """A button's label."""
    if "msgid" in button:
        return catalogs.render(lang, button["msgid"], button.get("params"))
    return str(button.get("label") or "?")


async def keyboard(session: AsyncSession, catalogs: Catalogs, chat_id: int,
                   payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """The payload's buttons, each action stored server-side behind a token for ``chat_id``."""
    lang = str(payload.get("lang") or "en")
    rows = []
    for row in payload.get("buttons") or []:
        buttons = [InlineKeyboardButton(label(catalogs, lang, b)[:64],
                                        callback_data=await callbacks.issue(session, chat_id,
                                                                            b["action"]))
                   for b in row]
        if buttons:
            rows.append(buttons)
    return InlineKeyboardMarkup(rows) if rows else None
