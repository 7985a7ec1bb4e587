"""The founder's turn: choose the language, route to the desk or ask Rasa, store the rendered
replies, deliver them and mark them sent (so that a retried update sends only the rest)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import render, ticket_routing
from bot.processor import current_outcome
from bot.rasa_client import NLUUnavailable
from bot.replying import deliver, language_of, say
from bot.resources import BotContext
from hubdata import founders, reports
from hubdata import replies as bot_replies
from hubdata.db import transaction
from hubdata.desk import moderation
from hubdata.models import utcnow

logger = logging.getLogger(__name__)
EMPTY_REPLY_ATTEMPTS = 6  # then the update is given up and the founder told


async def render_and_store(
    session: AsyncSession,
    context: BotContext,
    chat_id: int,
    lang: str,
    replies: list[dict[str, Any]],
    update_id: int,
) -> list[tuple[int, int, str, InlineKeyboardMarkup | None]]:
    """Render Rasa's replies (and their search pages) and store them for the update.

    Returns:
        (seq, chat id, text, keyboard) of each reply, ready for ``send_and_mark``.
    """
    outgoing: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for message in replies:
        custom = message.get("custom") or {}
        if isinstance(custom, dict) and "answer_id" in custom:  # a stored direct answer
            answer = await render.stored_answer(session, context.catalogs, lang,
                                                str(custom["answer_id"]))
            if answer is not None:
                outgoing.append((answer.text, None))
            continue
        reply = render.from_rasa(context.catalogs, lang, message)
        search_id = custom.get("search_id") if isinstance(custom, dict) else None
        if isinstance(search_id, int):
            page = await render.search_page(
                session, context.catalogs, lang, search_id, 0, intro=reply.text
            )
            if page is not None:
                page.buttons = reply.buttons
                reply = page
        if reply.text or reply.buttons:
            outgoing.append((reply.text, await render.keyboard(session, chat_id, reply)))
    await bot_replies.store(session, update_id, chat_id, [
        (text, markup.to_dict() if markup else None) for text, markup in outgoing],
        bot_id=context.bot_id)
    return [(seq, chat_id, text, markup) for seq, (text, markup) in enumerate(outgoing)]


async def deliver_stored(context: BotContext, update_id: int) -> bool:
    """Send the stored replies of an update that are not sent yet; False if none are stored."""
    async with transaction(context.sessions) as session:
        rows = [(r.seq, r.chat_id, r.text, r.markup, r.sent_at)
                for r in await bot_replies.for_update(session, update_id,
                                                      bot_id=context.bot_id)]
    await send_and_mark(context, update_id, [
        (seq, chat_id, text,
         InlineKeyboardMarkup.de_json(markup, context.bot) if markup else None)
        for seq, chat_id, text, markup, sent_at in rows if sent_at is None])
    return bool(rows)


async def send_and_mark(
    context: BotContext,
    update_id: int,
    pending: list[tuple[int, int, str, InlineKeyboardMarkup | None]],
) -> None:
    """Send stored replies in order, then mark those that went out sent, in one transaction
    (also when a later one fails, so that a retry sends only the rest).

    Within the update processor the marking joins the transaction that finishes the update
    (``Outcome.sent``); outside it (no update being processed) it has its own.
    """
    outcome = current_outcome()
    sent = outcome.sent if outcome.marks_sent else []
    try:
        for seq, chat_id, text, keyboard in pending:
            await deliver(context, chat_id, text, keyboard)
            sent.append(seq)
    finally:
        if sent and not outcome.marks_sent:
            async with transaction(context.sessions) as session:
                await bot_replies.mark_sent(session, update_id, sent, bot_id=context.bot_id)


@dataclass(frozen=True)
class TurnStart:
    """What the transaction that starts a founder's turn read and decided."""

    lang: str  # the reply language
    muted: bool | None  # staff muted the founder: None if not; True the first time (tell)
    report_on: str | None  # the entry the founder was asked to report on, if any
    route: ticket_routing.Routing


async def start_turn(
    session: AsyncSession, context: BotContext, update: Update, detected: str | None
) -> TurnStart:
    """Start the founder's turn in ``session``: the founder's record, their language, a mute
    or a pending report, and where the message goes (an open ticket)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    founder = await founders.get_or_create(session, user.id)
    founder.chat_id = chat.id
    founder.telegram_language = user.language_code
    if detected:
        founder.detected_language = detected
    lang = founders.reply_language(founder, detected, user.language_code)
    muted = moderation.take_mute_notice(founder, utcnow())
    report_on = reports.take_pending(founder, utcnow()) if founder.pending_report_id else None
    route = await ticket_routing.routing(context, session, user.id)
    return TurnStart(lang, muted, report_on, route)


async def founder_turn(
    context: BotContext, update: Update, text: str, *, detected: str | None = None,
    start: TurnStart | None = None,
) -> None:
    """Send the founder's text (or a trusted button payload) to Rasa and deliver its replies.

    Three transactions on the database: before Rasa (``start_turn``, unless the caller's
    transaction did it and passes ``start``), after Rasa (language, rendered replies stored,
    a ticket the turn opened) and the update processor's, which marks the replies sent.
    """
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    if start is None:
        async with transaction(context.sessions) as session:
            start = await start_turn(session, context, update, detected)
    lang, muted, report_on, route = start.lang, start.muted, start.report_on, start.route
    if muted is not None:  # staff muted this founder: told once, then not answered
        if muted:
            await say(context, update, "mute.notice", lang)
        return
    if report_on is not None and not text.startswith("/"):
        # The founder was asked what is wrong with an entry: this message is the report.
        async with transaction(context.sessions) as session:
            reported = await reports.record(session, user.id, report_on, "other", utcnow(), text)
        if reported in reports.OUTCOME_MESSAGES:
            await say(context, update, reports.OUTCOME_MESSAGES[reported], lang)
        return
    if await ticket_routing.intercept(context, update, text, route):
        return  # the founder has an open ticket: staff answer, not the dialogue
    metadata = {
        "update_id": update.update_id,
        "chat_id": chat.id,
        "reply_language": lang,
        "telegram_language": user.language_code,
    }
    outcome = current_outcome()
    if outcome.attempt > 1 and await deliver_stored(context, update.update_id):
        return  # Rasa already answered this update on an earlier attempt
    try:
        replies = await context.rasa.send(str(user.id), text, metadata)
    except NLUUnavailable as error:
        logger.warning("Rasa unavailable for update %s: %s", update.update_id, error)
        outcome.retry, outcome.error = True, str(error)
        if outcome.attempt <= 1:
            await say(context, update, "error.nlu_unavailable", lang)
        return
    if not replies:
        # Rasa answers nothing (HTTP 200, no messages) when its lock store, tracker store or an
        # action failed: every rule of ours replies. Retry like an unavailable Rasa, a few times.
        logger.error("Rasa gave no reply to update %s (attempt %s)", update.update_id,
                     outcome.attempt)
        outcome.error = "no reply from Rasa"
        lang = await language_of(context, update, detected)
        if outcome.attempt >= EMPTY_REPLY_ATTEMPTS:
            outcome.failed = True
            await say(context, update, "error.internal", lang)
            return
        outcome.retry = True
        if outcome.attempt <= 1:
            await say(context, update, "error.nlu_unavailable", lang)
        return
    async with transaction(context.sessions) as session:
        now = await founders.get(session, user.id)  # the turn may have changed the language
        lang = founders.reply_language(now, detected, user.language_code)
        pending = await render_and_store(session, context, chat.id, lang, replies,
                                         update.update_id)
        opened = await ticket_routing.opened_by_turn(session, user.id, user.full_name)
    await send_and_mark(context, update.update_id, pending)
    if opened is not None:
        await ticket_routing.announce_opened(context, opened, user.full_name)
