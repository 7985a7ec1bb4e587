"""The console's pages: sign-in, queue, ticket, metrics (bodies inside layout.frame)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from console.charts import bar_chart
from console.layout import Page, csrf_field, esc, frame, options, post_button
from hubdata.desk import cards, sla
from hubdata.desk.cards import age_minutes
from hubdata.desk.metrics import NO_TOPIC, Metrics
from hubdata.desk.queries import AGE_FILTERS
from hubdata.i18n import language_name
from hubdata.models import (
    PRIORITIES,
    TICKET_STATUSES,
    AuditEntry,
    Staff,
    Ticket,
)
from hubdata.settings import SUPPORTED_LANGUAGES, Settings

MARKS = {"founder": "👤", "bot": "🤖", "staff": "🧑‍💼", "note": "📝"}
SLA_STATES = {"ok": ("console.sla_ok", ""), "at_risk": ("console.sla_at_risk", "at-risk"),
              "breached": ("console.sla_breached", "breached")}


def login(page: Page, csrf: str, refused: bool = False, reason: str = "console.bad_token"
          ) -> str:
    """The sign-in form (token from ``emergebot staff token ID``); ``reason``: why the last
    try was refused."""
    error = f'<p class="flash refused" role="alert">{page.t(reason)}</p>' if refused else ""
    body = (f'{error}<p>{page.t("console.login_help")}</p>'
            f'<form method="post" action="/login" class="block" id="login-form">'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
            f'<input type="hidden" name="lang" value="{esc(page.lang)}">'
            f'<label>{page.t("console.token")} <input type="password" name="token" '
            f'autocomplete="off" required size="40"></label> '
            f'<button type="submit">{page.t("console.sign_in")}</button></form>')
    return frame(page, "console.login_title", body)


def _sla_cell(page: Page, ticket: Ticket, settings: Settings, now: datetime) -> str:
    state = sla.state_now(ticket, settings, now)
    if state is None:
        return "—"
    msgid, css = SLA_STATES[state]
    return f'<span class="{css}">{page.t(msgid)}</span>'


def _filters(page: Page, form: dict[str, str]) -> str:
    text = page.catalogs.render
    any_ = [("", text(page.lang, "console.any"))]
    statuses = [("", text(page.lang, "console.status_open")),
                ("all", text(page.lang, "console.any"))] + [
        (s, text(page.lang, f"ticket_status.{s}")) for s in TICKET_STATUSES]
    languages = any_ + [(c, language_name(c)) for c in SUPPORTED_LANGUAGES]
    priorities = any_ + [(p, text(page.lang, f"priority.{p}")) for p in PRIORITIES]
    ages = any_ + [(a, text(page.lang, f"console.age_{a}")) for a in AGE_FILTERS]

    def pick(name: str, label: str, choices: list[tuple[str, str]]) -> str:
        return (f'<label>{page.t(label)} <select name="{name}">'
                f'{options(choices, form.get(name, ""))}</select></label> ')

    return ('<form method="get" action="/" class="filters" id="filters">'
            + pick("status", "console.filter_status", statuses)
            + pick("language", "console.filter_language", languages)
            + pick("priority", "console.filter_priority", priorities)
            + pick("age", "console.filter_age", ages)
            + f'<button type="submit">{page.t("console.apply")}</button></form>')


def queue(page: Page, rows: Sequence[Ticket], form: dict[str, str], names: dict[int, str],
          settings: Settings, now: datetime) -> str:
    """The queue with its filters, and the form to open a ticket for a founder."""
    head = "".join(f"<th>{page.t(m)}</th>" for m in (
        "console.col_number", "console.col_priority", "console.col_status",
        "console.col_language", "console.col_topic", "console.col_founder", "console.col_age",
        "console.col_assignee", "console.col_sla"))
    lines = []
    for t in rows:
        assignee = esc(names.get(int(t.assignee_id), "")) if t.assignee_id else "—"
        lines.append(
            f'<tr id="ticket-{t.id}"><td><a href="/tickets/{t.id}">#{t.id}</a></td>'
            f'<td class="p-{esc(t.priority)}">{page.t("priority." + t.priority)}</td>'
            f'<td>{page.t("ticket_status." + t.status)}</td>'
            f"<td>{esc(language_name(t.language))}</td>"
            f'<td>{page.t("topic." + t.topic) if t.topic else "—"}</td>'
            f"<td>{esc(t.founder_name or t.founder_id)}</td>"
            f"<td>{page.duration(age_minutes(t, now))}</td><td>{assignee}</td>"
            f"<td>{_sla_cell(page, t, settings, now)}</td></tr>")
    table = f'<p id="queue-empty">{page.t("console.no_tickets")}</p>'
    if lines:
        table = (f'<table id="queue"><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}'
                 "</tbody></table>")
    open_form = (f'<h2>{page.t("console.open_title")}</h2>'
                 f'<form method="post" action="/tickets/open" class="block">{csrf_field(page)}'
                 f'<label>{page.t("console.founder_id")} <input name="founder" required '
                 f'inputmode="numeric" pattern="[0-9]+"></label> '
                 f'<label>{page.t("console.note")} <input name="note" size="50"></label> '
                 f'<button type="submit">{page.t("console.open_button")}</button></form>')
    return frame(page, "console.queue_title", _filters(page, form) + table + open_form,
                 active="queue", count=len(rows))


def _transcript(page: Page, ticket: Ticket, names: dict[int, str]) -> str:
    items = []
    for m in ticket.messages:
        who = esc(names.get(int(m.staff_id), "")) if m.staff_id is not None else ""
        css = "note" if m.author == "note" else "before" if m.before_handoff else m.author
        state = ""
        if m.delivery == "blocked":
            state = f' <em class="breached">{page.t("console.not_delivered")}</em>'
        items.append(f'<li class="{css}"><small>{page.when(m.created_at)}</small> '
                     f'{MARKS.get(m.author, "•")} <b>{who}</b> {esc(m.text)}{state}</li>')
    if not items:
        return f'<p>{page.t("console.no_messages")}</p>'
    return f'<ol class="transcript" id="transcript">{"".join(items)}</ol>'


def _actions(page: Page, ticket: Ticket, me: Staff) -> str:
    base = f"/tickets/{ticket.id}"
    buttons = []
    if ticket.status in ("waiting", "reopened"):
        buttons.append(post_button(page, base + "/claim", "desk.button_claim"))
    if ticket.status == "claimed" and ticket.assignee_id == me.user_id:
        buttons.append(post_button(page, base + "/release", "desk.button_release"))
    if ticket.is_open:
        buttons.append(post_button(page, base + "/resolve", "desk.button_resolve"))
    else:
        buttons.append(post_button(page, base + "/reopen", "console.reopen"))
    priority = ""
    if ticket.is_open:
        choices = [(p, page.catalogs.render(page.lang, f"priority.{p}")) for p in PRIORITIES]
        priority = (f'<form method="post" action="{base}/priority" class="inline">'
                    f'{csrf_field(page)}<select name="priority">'
                    f"{options(choices, ticket.priority)}</select> "
                    f'<button type="submit">{page.t("console.set_priority")}</button></form>')
    reply = ""
    if ticket.status == "claimed" and ticket.assignee_id == me.user_id:
        reply = (f'<form method="post" action="{base}/reply" class="block" id="reply-form">'
                 f'{csrf_field(page)}<label>{page.t("console.reply_label")}<textarea '
                 f'name="text" required></textarea></label>'
                 f'<button type="submit">{page.t("console.send")}</button></form>')
    note = (f'<form method="post" action="{base}/note" class="block" id="note-form">'
            f'{csrf_field(page)}<label>{page.t("console.note_label")}<textarea name="text" '
            f'required></textarea></label><button type="submit">{page.t("console.add_note")}'
            "</button></form>")
    return f'<p class="actions">{" ".join(buttons)} {priority}</p>{reply}{note}'


def _history(page: Page, entries: Sequence[AuditEntry], names: dict[int, str]) -> str:
    rows = []
    for e in entries:
        who = (names.get(int(e.actor_id), str(e.actor_id)) if e.actor_id
               else page.catalogs.render(page.lang, "console.system"))
        outcome = ""
        if e.outcome != "ok":
            outcome = f' <span class="breached">{page.t("console.refused")}</span>'
        rows.append(f"<tr><td>{page.when(e.at)}</td><td>{esc(who)}</td>"
                    f'<td>{page.t("channel." + e.channel)}</td>'
                    f'<td>{page.t("audit." + e.action)}{outcome}</td></tr>')
    return (f'<h2>{page.t("console.history")}</h2><table id="history"><tbody>{"".join(rows)}'
            "</tbody></table>")


def ticket(page: Page, t: Ticket, me: Staff, names: dict[int, str],
           entries: Sequence[AuditEntry], settings: Settings, now: datetime) -> str:
    """One ticket: the same summary as in Telegram, SLA, transcript, actions, history."""
    assignee = names.get(int(t.assignee_id)) if t.assignee_id else None
    summary = "".join(f"<p>{page.t(p['msgid'], **p['params'])}</p>"
                      for p in cards.summary(t, assignee))
    times = (f'<p>{page.t("console.created")}: {page.when(t.created_at)} · '
             f'{page.t("console.first_reply")}: {page.when(t.first_reply_at)} · '
             f'{page.t("console.resolved_at")}: {page.when(t.resolved_at)}</p>'
             f'<p>{page.t("console.first_response_due")}: {page.when(t.first_response_due)} · '
             f'{page.t("console.resolution_due")}: {page.when(t.resolution_due)} · '
             f'{page.t("console.col_sla")}: {_sla_cell(page, t, settings, now)}</p>')
    body = (f'<section class="summary" id="summary">{summary}{times}</section>'
            f'{_actions(page, t, me)}<h2>{page.t("console.transcript")}</h2>'
            f"{_transcript(page, t, names)}{_history(page, entries, names)}")
    return frame(page, "console.ticket_title", body, active="queue", ticket=t.id)


def metrics(page: Page, m: Metrics, days: str) -> str:
    """Figures and charts over the chosen period."""
    periods = [("", page.catalogs.render(page.lang, "console.period_all")),
               ("7", page.catalogs.render(page.lang, "console.period_days", {"count": 7})),
               ("30", page.catalogs.render(page.lang, "console.period_days", {"count": 30}))]
    chooser = (f'<form method="get" action="/metrics" class="filters">'
               f'<select name="days">{options(periods, days)}</select> '
               f'<button type="submit">{page.t("console.apply")}</button></form>')
    average = f"{m.average_rating:.1f}" if m.average_rating is not None else "—"
    figures = [("total", "console.metric_total", str(m.total)),
               ("open", "console.metric_open", str(m.open)),
               ("resolved", "console.metric_resolved", str(m.resolved)),
               ("median-first-reply", "console.metric_median_first_reply",
                page.duration(m.median_first_reply_minutes)),
               ("first-response-breaches", "console.metric_first_breaches",
                str(m.first_response_breaches)),
               ("resolution-breaches", "console.metric_resolution_breaches",
                str(m.resolution_breaches)),
               ("average-rating", "console.metric_average_rating",
                f"{average} ({m.rating_count})")]
    items = "".join(f'<li id="metric-{key}">{page.t(msgid)}<strong>{value}</strong></li>'
                    for key, msgid, value in figures)
    render = page.catalogs.render
    empty = render(page.lang, "console.no_data")
    topic_bars = [(render(page.lang, "console.no_topic") if t == NO_TOPIC else
                   render(page.lang, f"topic.{t}"), float(n)) for t, n in m.by_topic.items()]
    charts = [
        bar_chart("chart-topic", render(page.lang, "console.chart_topic"), topic_bars, empty=empty),
        bar_chart("chart-language", render(page.lang, "console.chart_language"),
                  [(language_name(c), float(n)) for c, n in m.by_language.items()], empty=empty),
        bar_chart("chart-first-reply", render(page.lang, "console.chart_first_reply"),
                  [(render(page.lang, f"priority.{p}"), v)
                   for p, v in m.median_first_reply_by_priority().items()],
                  value_text=lambda v: render(page.lang, "console.minutes", {"minutes": round(v)}),
                  empty=empty),
        bar_chart("chart-sla", render(page.lang, "console.chart_sla"),
                  [(render(page.lang, "console.metric_first_breaches"),
                    float(m.first_response_breaches)),
                   (render(page.lang, "console.metric_resolution_breaches"),
                    float(m.resolution_breaches))], empty=empty),
        bar_chart("chart-ratings", render(page.lang, "console.chart_ratings"),
                  [(f"{n} ★", float(c)) for n, c in m.ratings.items()], empty=empty),
    ]
    body = chooser + f'<ul class="figures" id="figures">{items}</ul>' + "".join(charts)
    return frame(page, "console.metrics_title", body, active="metrics")
