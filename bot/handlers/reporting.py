"""Founders' "report a problem" buttons on result cards (the text of an "other" report is
taken by ``bot.founder_turn.founder_turn``)."""

from __future__ import annotations

import html

from telegram import Update

from bot import render
from bot.replying import language_of, send_reply
from bot.resources import BotContext
from hubdata import reports
from hubdata.db import transaction
from hubdata.desk.clock import system_clock
from hubdata.models import REPORT_REASONS, Founder

OUTCOME_MESSAGES = reports.OUTCOME_MESSAGES


def _text(context: BotContext, lang: str, msgid: str, **params: object) -> str:
    return html.escape(context.catalogs.render(lang, msgid, params))


async def offer_reasons(update: Update, context: BotContext, resource_id: str) -> None:
    """Ask what is wrong with the entry, with one button per reason."""
    lang = await language_of(context, update)
    async with transaction(context.sessions) as session:
        resource = await reports.reportable(session, resource_id)
        title = resource.text(lang).title if resource else None
    if title is None:
        await send_reply(context, update, render.Reply(_text(context, lang, "report.gone")))
        return
    await send_reply(context, update, render.Reply(
        text=_text(context, lang, "report.ask", title=title),
        buttons=[(context.catalogs.render(lang, f"report.reason_{reason}"),
                  {"kind": "report_reason", "resource_id": resource_id, "reason": reason})
                 for reason in REPORT_REASONS]))


async def take_reason(update: Update, context: BotContext, resource_id: str,
                      reason: str) -> None:
    """Record the report, or for "other" ask for a short text first."""
    user = update.effective_user
    if user is None:
        return
    lang = await language_of(context, update)
    now = system_clock()
    async with transaction(context.sessions) as session:
        if reason == "other":
            refused = await reports.check(session, user.id, resource_id, reason, now)
            if refused is None:
                founder = await session.get(Founder, user.id)
                if founder is not None:
                    reports.await_text(founder, resource_id, now)
            outcome = refused or "describe"
        else:
            outcome = await reports.record(session, user.id, resource_id, reason, now)
    if outcome == reports.IGNORED:
        return
    msgid = "report.describe" if outcome == "describe" else OUTCOME_MESSAGES[outcome]
    await send_reply(context, update, render.Reply(_text(context, lang, msgid)))
