"""Telegram HTML: clip it to the message limit without breaking it; fall back to plain text.

Telegram counts the limit on the text after parsing (tags removed, entities decoded), and
refuses the whole message ("can't parse entities") if a tag is left open or an entity is cut.
Founder text is escaped before it gets here, so a run of ``&`` is five times longer in HTML
than on screen; clipping the HTML string at a fixed length could cut ``&amp;`` or leave
``<b>`` open. ``clip`` keeps tags and entities whole and closes what it leaves open.
"""

from __future__ import annotations

import html
import re

from telegram.error import BadRequest

TELEGRAM_MAX_CHARS = 4096
ELLIPSIS = "…"
_TOKEN = re.compile(
    r"<[^<>]*>"  # a tag
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"  # an entity
    r"|[^<&]+"  # text
    r"|[<&]"  # a stray "<" or "&" (not from our renderers, which escape)
)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji can count two)."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str) -> int:
    """How long ``text`` (Telegram HTML) is once Telegram has parsed it."""
    return _units(plain(text))


def plain(text: str) -> str:
    """The text a reader sees in ``text`` (Telegram HTML): tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def _fit(text: str, budget: int) -> str:
    """The longest start of ``text`` within ``budget`` UTF-16 units."""
    kept = 0
    for index, char in enumerate(text):
        kept += _units(char)
        if kept > budget:
            return text[:index]
    return text


def clip(text: str, limit: int = TELEGRAM_MAX_CHARS) -> str:
    """``text`` (Telegram HTML) cut to ``limit`` visible characters, ending with "…", with no
    tag or entity cut and every tag left open closed; unchanged if it fits."""
    if visible_length(text) <= limit:
        return text
    budget = limit - _units(ELLIPSIS)
    out: list[str] = []
    open_tags: list[tuple[str, int]] = []  # tag name, its index in ``out``
    for match in _TOKEN.finditer(text):
        token = match.group()
        tag = _TAG.match(token) if token.startswith("<") and len(token) > 1 else None
        if tag is not None:
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if not closing:
                open_tags.append((name, len(out)))
                out.append(token)
            elif any(n == name for n, _ in open_tags):  # (a closer of nothing is dropped)
                while open_tags.pop()[0] != name:
                    pass
                out.append(token)
            continue
        if token.startswith("&") or token == "<":  # one character on screen: all or nothing
            shown = html.unescape(token)
            if _units(shown) > budget:
                break
            out.append(token if len(token) > 1 else html.escape(token))
            budget -= _units(shown)
            continue
        kept = _fit(token, budget)  # text (or a stray "<...>", escaped)
        if kept:
            out.append(html.escape(kept, quote=False) if kept.startswith("<") else kept)
            budget -= _units(kept)
        if kept != token:
            break
    while open_tags and open_tags[-1][1] == len(out) - 1:  # an opening tag with nothing in it
        out.pop()
        open_tags.pop()
    closers = "".join(f"</{name}>" for name, _ in reversed(open_tags))
    return "".join(out) + ELLIPSIS + closers


def is_parse_error(error: BadRequest) -> bool:
    """Whether Telegram refused a message for its markup (then send it as plain text)."""
    return "can't parse entities" in error.message.lower()


def as_plain(text: str, limit: int = TELEGRAM_MAX_CHARS) -> str:
    """``text`` (Telegram HTML) as plain text for sending without a parse mode, within
    ``limit``."""
    shown = plain(text)
    if _units(shown) <= limit:
        return shown
    return _fit(shown, limit - _units(ELLIPSIS)) + ELLIPSIS
