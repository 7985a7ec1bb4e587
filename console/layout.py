"""HTML of the console: the page frame, escaping, small form pieces. All text comes from the
message catalogs in the staff member's language; everything else is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from babel.dates import format_datetime, format_timedelta

from hubdata.desk.clock import aware
from hubdata.i18n import Catalogs, language_name
from hubdata.settings import SUPPORTED_LANGUAGES

RTL = ("ar",)


def esc(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass
class Page:
    """What every page needs: language, catalogs, who is signed in, the CSRF token."""

    lang: str
    catalogs: Catalogs
    staff_name: str | None = None
    csrf: str | None = None
    flash: str | None = None
    flash_ok: bool = True
    path: str = "/"  # where the language form comes back to

    def t(self, msgid: str, **params: Any) -> str:
        """A catalog text in the page's language, escaped."""
        return esc(self.catalogs.render(self.lang, msgid, params))

    def when(self, moment: datetime | None) -> str:
        """A date and time, localised (UTC)."""
        if moment is None:
            return "—"
        return esc(format_datetime(aware(moment), "short", tzinfo=timezone.utc,
                                   locale=self.lang) + " UTC")

    def duration(self, minutes: float | None) -> str:
        """A duration in words ("2 hours"), localised."""
        if minutes is None:
            return "—"
        return esc(format_timedelta(timedelta(minutes=minutes), locale=self.lang))


def csrf_field(page: Page) -> str:
    """The hidden CSRF field of a form."""
    return f'<input type="hidden" name="csrf" value="{esc(page.csrf)}">'


def options(choices: Iterable[tuple[str, str]], selected: str | None) -> str:
    """<option> elements; labels are escaped here."""
    return "".join(
        f'<option value="{esc(v)}"{" selected" if v == selected else ""}>{esc(label)}</option>'
        for v, label in choices)


def post_button(page: Page, action: str, label_msgid: str, *, name: str | None = None,
                value: str | None = None, css: str = "") -> str:
    """A one-button form that POSTs to ``action``."""
    extra = f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">' if name else ""
    return (f'<form method="post" action="{esc(action)}" class="inline">{csrf_field(page)}'
            f'{extra}<button type="submit" class="{esc(css)}">{page.t(label_msgid)}</button>'
            "</form>")


def _language_form(page: Page) -> str:
    choices = [(code, language_name(code)) for code in SUPPORTED_LANGUAGES]
    hidden = (csrf_field(page) + f'<input type="hidden" name="back" value="{esc(page.path)}">'
              if page.csrf else "")
    action = "/language" if page.csrf else "/login"
    method = "post" if page.csrf else "get"
    return (f'<form method="{method}" action="{action}" class="inline" id="language-form">'
            f'{hidden}<label>{page.t("console.language")} '
            f'<select name="lang">{options(choices, page.lang)}</select></label> '
            f'<button type="submit">{page.t("console.change")}</button></form>')


def frame(page: Page, title_msgid: str, body: str, *, active: str = "", **params: Any) -> str:
    """A whole page: header with navigation and language choice, the notice, the body."""
    direction = "rtl" if page.lang in RTL else "ltr"
    title = page.t(title_msgid, **params)
    nav = ""
    if page.staff_name:
        links = [("/", "queue", "console.nav_queue"),
                 ("/metrics", "metrics", "console.nav_metrics"),
                 ("/catalogue", "catalogue", "console.nav_catalogue"),
                 ("/catalogue/review", "review", "console.nav_review"),
                 ("/catalogue/gaps", "gaps", "console.nav_gaps"),
                 ("/founders", "founders", "console.nav_founders"),
                 ("/nlu", "nlu", "console.nav_nlu")]
        nav = "".join(
            f'<a href="{href}"{" class=active" if key == active else ""}>{page.t(msgid)}</a>'
            for href, key, msgid in links)
        nav += (f'<span class="who">{page.t("console.signed_in_as", name=page.staff_name)}'
                f'</span>{post_button(page, "/logout", "console.sign_out")}')
    flash = ""
    if page.flash:
        kind = "ok" if page.flash_ok else "refused"
        flash = f'<p class="flash {kind}" role="status">{esc(page.flash)}</p>'
    return (
        f'<!doctype html><html lang="{esc(page.lang)}" dir="{direction}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f'<title>{title} · {page.t("console.app_name")}</title>'
        '<link rel="stylesheet" href="/static/console.css"></head><body>'
        f'<header><strong>{page.t("console.app_name")}</strong><nav>{nav}</nav>'
        f'{_language_form(page)}</header>'
        f'<main><h1>{title}</h1>{flash}{body}</main></body></html>')
