"""The NLU page: the live model's held-out figures, its commonest confusions and the founder
messages it was least sure of, as ``emergebot nlu report`` shows them (emergebot.nlu_report)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from console.context import html, page_for, state_of
from console.layout import Page, esc, frame
from emergebot.nlu_report import NLUReport, build
from hubdata.i18n import language_name

DAYS = (1, 7, 30)
LIMIT = 50
PROBLEMS = {  # emergebot.nlu_report's problem codes
    "no_model": "console.nlu_problem_no_model",
    "no_report": "console.nlu_problem_no_report",
    "stale_report": "console.nlu_problem_stale_report",
    "no_predictions": "console.nlu_problem_no_predictions",
    "no_tracker_store": "console.nlu_problem_no_tracker_store",
    "tracker_unreadable": "console.nlu_problem_tracker_unreadable",
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _language(page: Page, code: str) -> str:
    return page.t("console.nlu_all") if code == "all" else esc(language_name(code))


def _table(page: Page, css: str, heads: tuple[str, ...], rows: list[str]) -> str:
    head = "".join(f"<th>{page.t(m)}</th>" for m in heads)
    return (f'<table id="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")


def body(page: Page, report: NLUReport) -> str:
    """The report's three parts; a notice for each part that could not be made."""
    parts = [f'<form method="get" action="/nlu" class="filters"><label>'
             f'{page.t("console.nlu_days")} <select name="days">'
             + "".join(f'<option value="{d}"{" selected" if d == report.days else ""}>{d}'
                       "</option>" for d in DAYS)
             + f'</select></label> <button type="submit">{page.t("console.apply")}</button>'
             "</form>"]
    if report.model:
        parts.append(f'<p id="nlu-model">{page.t("console.nlu_model", name=report.model)}</p>')
    parts += [f'<p class="flash refused nlu-problem" data-code="{esc(p.code)}">'
              f'{page.t(PROBLEMS[p.code], name=report.model, text=p.params.get("detail"))}</p>'
              for p in report.problems]  # file paths are the CLI's business
    if report.languages:
        rows = [f'<tr class="language" data-language="{esc(f.language)}">'
                f"<td>{_language(page, f.language)}</td><td>{f.examples}</td>"
                f"<td>{_pct(f.intent_accuracy)}</td><td>{_pct(f.out_of_scope_recall)}</td>"
                f"<td>{_pct(f.out_of_scope_precision)}</td></tr>" for f in report.languages]
        parts.append(f'<h2>{page.t("console.nlu_languages")}</h2>' + _table(
            page, "nlu-languages", ("console.nlu_language", "console.nlu_examples",
                                    "console.nlu_accuracy", "console.nlu_oos_recall",
                                    "console.nlu_oos_precision"), rows))
    if report.confusions:
        rows = [f'<tr class="confusion"><td>{_language(page, c.language)}</td>'
                f"<td><code>{esc(c.expected)}</code></td><td><code>{esc(c.predicted)}</code>"
                f"</td><td>{c.count}</td></tr>" for c in report.confusions]
        parts.append(f'<h2>{page.t("console.nlu_confusions")}</h2>' + _table(
            page, "nlu-confusions", ("console.nlu_language", "console.nlu_expected",
                                     "console.nlu_predicted", "console.nlu_count"), rows))
    parts.append(f'<h2>{page.t("console.nlu_unsure", days=report.days)}</h2>')
    if not report.unsure:
        parts.append(f'<p id="nlu-unsure-empty">{page.t("console.nlu_unsure_empty")}</p>')
    else:
        rows = [f'<tr class="unsure"><td dir="auto">{esc(m.text)}</td>'
                f"<td>{_language(page, m.language)}</td><td><code>{esc(m.intent or '—')}"
                f"</code></td><td>{m.confidence:.2f}</td><td>{m.count}</td>"
                f"<td>{page.when(datetime.fromtimestamp(m.last_seen, timezone.utc))}</td></tr>"
                for m in report.unsure]
        parts.append(_table(page, "nlu-unsure", (
            "console.nlu_text", "console.nlu_language", "console.nlu_intent",
            "console.nlu_confidence", "console.nlu_count", "console.nlu_last_seen"), rows))
    return "".join(parts)


async def nlu_page(request: web.Request) -> web.Response:
    """The NLU report (read off the event loop: model files and the tracker store)."""
    settings = state_of(request).settings
    raw = request.query.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in DAYS else 7
    report = await asyncio.to_thread(
        build, settings.model_dir, settings.var_dir,
        settings.tracker_store_url or settings.tracker_store_db, days, LIMIT)
    page = page_for(request)
    return html(frame(page, "console.nlu_title", body(page, report), active="nlu"))


ROUTES: list[tuple[str, str, Any]] = [("GET", "/nlu", nlu_page)]
