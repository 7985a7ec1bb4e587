"""The catalogue desk's pages: the list, the review queue, one entry (form, reports, history)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from console.catalogue_forms import TEXTS, text_field
from console.layout import Page, csrf_field, esc, frame, options, post_button
from hubdata import lifecycle
from hubdata.catalogue_desk import ReviewItem, missing_languages
from hubdata.i18n import language_name
from hubdata.models import (
    FAQ_TOPICS,
    FUNDING_TYPES,
    KINDS,
    SECTORS,
    STATUSES,
    AuditEntry,
    Resource,
    ResourceReport,
)
from hubdata.settings import SUPPORTED_LANGUAGES

Errors = Mapping[str, list[tuple[str, dict[str, Any]]]]
# The form's fields in the order shown, by group; each is a seed-format field.
GROUPS = (
    ("console.catalogue_group_what", ("id", "kind", "funding_type", "topic", "status",
                                      "organisation")),
    ("console.catalogue_group_who", ("areas", "sectors", "stages", "languages", "location")),
    ("console.catalogue_group_when", ("starts_on", "ends_on", "opens_on", "deadline", "as_of",
                                      "verified_on", "review_months")),
    ("console.catalogue_group_links", ("url", "source_url", "amount_value", "amount_currency")),
)
HINTS = {"areas": "SN, 002, ITU-ARB", "sectors": "any, agritech", "stages": "any, early",
         "languages": "en, fr", "starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD",
         "opens_on": "YYYY-MM-DD", "deadline": "YYYY-MM-DD", "verified_on": "YYYY-MM-DD",
         "as_of": "2026, 2026-06, 2026-06-15", "amount_currency": "USD"}
ACTIONS = {"catalogue.edit": "console.catalogue_action_edit",
           "catalogue.add": "console.catalogue_action_add",
           "catalogue.retire": "console.catalogue_action_retire",
           "catalogue.reverify": "console.catalogue_action_reverify",
           "catalogue.report_close": "console.catalogue_action_report_close"}


def label(page: Page, name: str) -> str:
    """A form field's label (texts: "title", not "text.fr.title")."""
    return page.t(f"console.catalogue_f_{name.rsplit('.', 1)[-1]}")


def _dom(name: str) -> str:
    return name.replace(".", "-")


def _kind(page: Page, kind: str) -> str:
    return page.catalogs.render(page.lang, f"console.catalogue_kind_{kind}")


def _status(page: Page, status: str) -> str:
    return page.catalogs.render(page.lang, f"console.catalogue_status_{status}")


def _error_text(page: Page, msgid: str, params: dict[str, Any]) -> str:
    shown = dict(params)
    if "field" in shown:
        shown["field"] = page.catalogs.render(page.lang, f"console.catalogue_f_{shown['field']}")
    return page.t(msgid, **shown)


def _errors_for(page: Page, errors: Errors, name: str) -> str:
    found = errors.get(name) or []
    if not found:
        return ""
    texts = "; ".join(_error_text(page, m, p) for m, p in found)
    return f'<span class="field-error" id="error-{_dom(name)}" role="alert">{texts}</span>'


def _field(page: Page, name: str, values: Mapping[str, str], errors: Errors, *,
           readonly: bool = False, multiline: bool = False) -> str:
    value = values.get(name, "")
    invalid = ' aria-invalid="true"' if errors.get(name) else ""
    ident = "f-" + _dom(name)
    choices: list[tuple[str, str]] | None = None
    if name == "kind":
        choices = [(k, _kind(page, k)) for k in KINDS]
    elif name == "status":
        choices = [(s, _status(page, s)) for s in STATUSES]
    elif name == "funding_type":
        choices = [("", "—")] + [(f, page.catalogs.render(page.lang, f"funding_type.{f}"))
                                 for f in FUNDING_TYPES]
    elif name == "topic":
        choices = [("", "—")] + [(t, page.catalogs.render(page.lang, f"topic.{t}"))
                                 for t in FAQ_TOPICS]
    if choices is not None:
        control = (f'<select id="{ident}" name="{esc(name)}"{invalid}>'
                   f"{options(choices, value)}</select>")
    elif multiline:
        control = (f'<textarea id="{ident}" name="{esc(name)}" dir="auto"{invalid}>'
                   f"{esc(value)}</textarea>")
    else:
        hint = f' placeholder="{esc(HINTS[name])}"' if name in HINTS else ""
        extra = " readonly" if readonly else ""
        control = (f'<input id="{ident}" name="{esc(name)}" value="{esc(value)}" size="40" '
                   f'dir="auto"{hint}{extra}{invalid}>')
    return (f'<div class="field"><label for="{ident}">{label(page, name)}</label>{control}'
            f"{_errors_for(page, errors, name)}</div>")


def entry_form(page: Page, action: str, values: Mapping[str, str], errors: Errors,
               version: int | None) -> str:
    """Every field of an entry and each language's texts (a new entry if no version)."""
    parts = [f'<form method="post" action="{esc(action)}" class="block entry-form" '
             f'id="entry-form">{csrf_field(page)}']
    if version is not None:
        parts.append(f'<input type="hidden" name="version" value="{version}">')
    for group, names in GROUPS:
        parts.append(f"<fieldset><legend>{page.t(group)}</legend>")
        parts += [_field(page, n, values, errors, readonly=n == "id" and version is not None)
                  for n in names]
        parts.append("</fieldset>")
    for lang in SUPPORTED_LANGUAGES:
        parts.append(f'<fieldset id="texts-{lang}"><legend>{esc(language_name(lang))}</legend>')
        parts += [_field(page, text_field(lang, n), values, errors,
                         multiline=n in ("description", "questions")) for n in TEXTS]
        parts.append("</fieldset>")
    parts.append(f'<button type="submit">{page.t("console.catalogue_save")}</button></form>')
    return "".join(parts)


def _general_errors(page: Page, errors: Errors, shown: set[str]) -> str:
    rest = [(name, found) for name, found in errors.items() if name not in shown]
    if not rest:
        return ""
    items = "".join(f"<li><code>{esc(name)}</code>: "
                    + "; ".join(_error_text(page, m, p) for m, p in found) + "</li>"
                    for name, found in rest)
    return f'<ul class="flash refused" id="general-errors">{items}</ul>'


def _form_names() -> set[str]:
    names = {n for _, group in GROUPS for n in group}
    return names | {text_field(lang, n) for lang in SUPPORTED_LANGUAGES for n in TEXTS}


def _filters(page: Page, form: Mapping[str, str]) -> str:
    text = page.catalogs.render
    any_ = [("", text(page.lang, "console.any"))]
    kinds = any_ + [(k, _kind(page, k)) for k in KINDS]
    statuses = any_ + [(s, _status(page, s)) for s in STATUSES]
    sectors = any_ + [(s, text(page.lang, f"sector.{s}")) for s in SECTORS]
    due = [("", text(page.lang, "console.any")), ("1", text(page.lang, "console.catalogue_due"))]
    missing = [("", text(page.lang, "console.any")),
               ("any", text(page.lang, "console.catalogue_missing_any"))] + [
        (c, language_name(c)) for c in SUPPORTED_LANGUAGES]

    def pick(name: str, msgid: str, choices: list[tuple[str, str]]) -> str:
        return (f'<label>{page.t(msgid)} <select name="{name}">'
                f'{options(choices, form.get(name, ""))}</select></label> ')

    return ('<form method="get" action="/catalogue" class="filters" id="catalogue-filters">'
            + pick("kind", "console.catalogue_f_kind", kinds)
            + f'<label>{page.t("console.catalogue_filter_area")} <input name="area" size="8" '
              f'value="{esc(form.get("area", ""))}" placeholder="SN, 002"></label> '
            + pick("sector", "console.catalogue_f_sectors", sectors)
            + pick("status", "console.catalogue_f_status", statuses)
            + pick("due", "console.catalogue_filter_due", due)
            + pick("missing", "console.catalogue_filter_missing", missing)
            + f'<button type="submit">{page.t("console.apply")}</button></form>')


def _title(page: Page, resource: Resource) -> str:
    texts = {t.lang: t for t in resource.texts}
    chosen = texts.get(page.lang) or texts.get("en") or next(iter(texts.values()), None)
    return esc(chosen.title) if chosen is not None else esc(resource.id)


def listing(page: Page, rows: Sequence[Resource], form: Mapping[str, str], today: date,
            default_months: int) -> str:
    """The catalogue with its filters."""
    head = "".join(f"<th>{page.t(m)}</th>" for m in (
        "console.catalogue_f_title", "console.catalogue_f_kind", "console.catalogue_f_status",
        "console.catalogue_f_areas", "console.catalogue_f_verified_on",
        "console.catalogue_review_due", "console.catalogue_missing"))
    lines = []
    for r in rows:
        due = lifecycle.review_due_on(r, default_months)
        due_text = "—" if due is None else page.t("console.catalogue_never_verified") \
            if due == date.min else esc(due.isoformat())
        css = ' class="breached"' if lifecycle.is_due(r, today, default_months) else ""
        lines.append(
            f'<tr id="entry-{esc(r.id)}"><td><a href="/catalogue/entries/{esc(r.id)}">'
            f"{_title(page, r)}</a><br><small>{esc(r.id)}</small></td>"
            f"<td>{esc(_kind(page, r.kind))}</td><td>{esc(_status(page, r.status))}</td>"
            f'<td>{esc(", ".join(r.areas or []))}</td>'
            f'<td>{esc(r.verified_on.isoformat() if r.verified_on else "—")}</td>'
            f"<td{css}>{due_text}</td>"
            f'<td>{esc(", ".join(missing_languages(r)) or "—")}</td></tr>')
    table = f'<p id="catalogue-empty">{page.t("console.catalogue_none")}</p>'
    if lines:
        table = (f'<table id="catalogue"><thead><tr>{head}</tr></thead><tbody>'
                 f'{"".join(lines)}</tbody></table>')
    links = (f'<p class="actions"><a href="/catalogue/new">{page.t("console.catalogue_add")}</a>'
             f' · <a href="/catalogue/review">{page.t("console.catalogue_review_title")}</a></p>')
    return frame(page, "console.catalogue_title", links + _filters(page, form) + table,
                 active="catalogue", count=len(rows))


def review(page: Page, items: Sequence[ReviewItem]) -> str:
    """Entries due for review, most shown to founders first."""
    head = "".join(f"<th>{page.t(m)}</th>" for m in (
        "console.catalogue_f_title", "console.catalogue_f_kind", "console.catalogue_review_due",
        "console.catalogue_shown", "console.catalogue_open_reports"))
    lines = []
    for item in items:
        r = item.resource
        due = page.t("console.catalogue_never_verified") if item.due_on == date.min \
            else esc(item.due_on.isoformat())
        lines.append(f'<tr id="review-{esc(r.id)}"><td><a href="/catalogue/entries/{esc(r.id)}">'
                     f"{_title(page, r)}</a><br><small>{esc(r.id)}</small></td>"
                     f"<td>{esc(_kind(page, r.kind))}</td><td>{due}</td>"
                     f'<td class="shown">{item.shown}</td>'
                     f'<td class="reports">{item.open_reports}</td></tr>')
    table = f'<p id="review-empty">{page.t("console.catalogue_review_empty")}</p>'
    if lines:
        table = (f'<table id="review"><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}'
                 "</tbody></table>")
    return frame(page, "console.catalogue_review_title", table, active="review",
                 count=len(items))


def _value(value: Any) -> str:
    if value is None:
        return "—"
    return esc(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _history(page: Page, entries: Sequence[AuditEntry], names: dict[int, str]) -> str:
    rows = []
    for e in entries:
        who = names.get(int(e.actor_id), str(e.actor_id)) if e.actor_id else \
            page.catalogs.render(page.lang, "console.system")
        outcome = "" if e.outcome == "ok" else \
            f' <span class="breached">{page.t("console.refused")}</span>'
        changed = (e.detail or {}).get("changes") or {}
        items = "".join(f"<li><code>{esc(k)}</code>: {_value(v[0])} → {_value(v[1])}</li>"
                        for k, v in changed.items())
        rows.append(f"<tr><td>{page.when(e.at)}</td><td>{esc(who)}</td>"
                    f'<td>{page.t(ACTIONS.get(e.action, "console.catalogue_action_edit"))}'
                    f'{outcome}</td><td><ul class="changes">{items}</ul></td></tr>')
    if not rows:
        return (f'<h2>{page.t("console.history")}</h2>'
                f'<p id="history-empty">{page.t("console.catalogue_no_history")}</p>')
    return (f'<h2>{page.t("console.history")}</h2><table id="history"><tbody>{"".join(rows)}'
            "</tbody></table>")


def _reports(page: Page, resource: Resource, found: Sequence[ResourceReport]) -> str:
    rows = []
    for r in found:
        state = page.t(f"console.catalogue_report_{r.status}") if r.status in (
            "open", "closed") else esc(r.status)
        close = post_button(page, f"/catalogue/reports/{r.id}/close",
                            "console.catalogue_close_report") if r.status == "open" else ""
        rows.append(f'<tr id="report-{r.id}"><td>{page.when(r.created_at)}</td>'
                    f'<td>{page.t(f"report.reason_{r.reason}")}</td><td>{esc(r.text or "")}</td>'
                    f"<td>{state}</td><td>{close}</td></tr>")
    body = (f'<table id="reports"><tbody>{"".join(rows)}</tbody></table>' if rows
            else f'<p id="reports-empty">{page.t("console.catalogue_no_reports")}</p>')
    return f'<h2>{page.t("console.catalogue_reports")}</h2>{body}'


def _unsaved(page: Page, mine: Mapping[str, str] | None) -> str:
    if not mine:
        return ""
    items = "".join(f"<li><code>{esc(k)}</code>: {esc(v) or '—'}</li>" for k, v in mine.items())
    return (f'<section class="flash refused" id="unsaved"><p>{page.t("console.catalogue_yours")}'
            f'</p><ul>{items}</ul></section>')


def entry(page: Page, resource: Resource, values: Mapping[str, str], errors: Errors,
          found_reports: Sequence[ResourceReport], entries: Sequence[AuditEntry],
          names: dict[int, str], default_months: int,
          unsaved: Mapping[str, str] | None = None) -> str:
    """One entry: re-verify, retire, the edit form, founders' reports, history."""
    base = f"/catalogue/entries/{esc(resource.id)}"
    version = int(resource.version)
    due = lifecycle.review_due_on(resource, default_months)
    meta = (f'<p id="entry-meta">{page.t("console.catalogue_f_status")}: '
            f"{esc(_status(page, resource.status))} · "
            f'{page.t("console.catalogue_version", number=version)} · '
            f'{page.t("console.catalogue_f_verified_on")}: '
            f'{esc(resource.verified_on.isoformat() if resource.verified_on else "—")} · '
            f'{page.t("console.catalogue_review_due")}: '
            f'{"—" if due is None else esc(due.isoformat()) if due != date.min else page.t("console.catalogue_never_verified")}'  # noqa: E501
            "</p>")
    reverify = (f'<form method="post" action="{base}/reverify" class="block" id="reverify-form">'
                f'{csrf_field(page)}<input type="hidden" name="version" value="{version}">'
                f'<label for="f-confirm-source">{page.t("console.catalogue_confirm_source")}'
                f'</label> <input id="f-confirm-source" name="source_url" size="60" '
                f'value="{esc(resource.source_url or "")}" required> '
                f'<button type="submit">{page.t("console.catalogue_reverify")}</button>'
                f'{_errors_for(page, errors, "confirm_source")}'
                "</form>")
    retire = ""
    if resource.status != "retired":
        retire = (f'<form method="post" action="{base}/retire" class="inline" id="retire-form">'
                  f'{csrf_field(page)}<input type="hidden" name="version" value="{version}">'
                  f'<button type="submit" class="danger">{page.t("console.catalogue_retire")}'
                  "</button></form>")
    general = _general_errors(page, errors, _form_names() | {"confirm_source"})
    body = (f"{meta}{_unsaved(page, unsaved)}{general}"
            f'{reverify}<p class="actions">{retire}</p>'
            f'<h2>{page.t("console.catalogue_edit")}</h2>'
            f"{entry_form(page, base, values, errors, version)}"
            f"{_reports(page, resource, found_reports)}{_history(page, entries, names)}")
    return frame(page, "console.catalogue_entry_title", body, active="catalogue",
                 title=_plain_title(page, resource))


def _plain_title(page: Page, resource: Resource) -> str:
    texts = {t.lang: t for t in resource.texts}
    chosen = texts.get(page.lang) or texts.get("en")
    return str(chosen.title) if chosen is not None else str(resource.id)


def new(page: Page, values: Mapping[str, str], errors: Errors) -> str:
    """The form for a new entry."""
    body = (_general_errors(page, errors, _form_names())
            + entry_form(page, "/catalogue/new", values, errors, None))
    return frame(page, "console.catalogue_add", body, active="catalogue")


def refused(page: Page) -> str:
    """The page shown to staff without the catalogue permission."""
    return frame(page, "console.refused",
                 f'<p class="flash refused" role="alert" id="not-allowed">'
                 f'{page.t("console.catalogue_not_allowed")}</p>')
