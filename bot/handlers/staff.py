"""Hub staff in Telegram: /queue, /mine, /reply, /note, /resolve, /open, their private-chat
text, and the desk's buttons (claim, release, resolve, priority, select; founders' ratings).

Every command and button is checked in the service layer (hubdata/desk): anyone who is not
registered staff is refused, the refusal is audited, and nothing changes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot import desk_render
from bot.desk_operations import Done, run
from bot.replying import deliver, language_of, say
from bot.resources import BotContext
from hubdata.db import transaction
from hubdata.desk import cards, guard, moderation, queries, staff, ticket_messages, transitions
from hubdata.desk.results import TELEGRAM, Actor
from hubdata.models import utcnow

_NUMBERED = re.compile(r"#?(\d+)(?:\s+(.*))?$", re.S)


def actor_of(update: Update) -> Actor:
    """The Telegram user behind an update."""
    user = update.effective_user
    return Actor(user.id if user else None, TELEGRAM)


def command_text(update: Update) -> str:
    """What follows the command, verbatim (line breaks kept)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def numbered(text: str) -> tuple[int | None, str]:
    """Split "[#]12 rest" into (12, "rest"); otherwise (None, text)."""
    match = _NUMBERED.match(text)
    if match:
        return int(match.group(1)), (match.group(2) or "").strip()
    return None, text


async def staff_language(context: BotContext, user_id: int | None) -> str:
    """The language the desk uses with this person."""
    async with transaction(context.sessions) as session:
        return staff.interface_language(await staff.get(session, user_id))


async def tell(context: BotContext, update: Update, done: Done) -> None:
    """Show the operation's notice in the chat."""
    notice = done.result.notice
    if notice is None:
        return
    lang = done.result.lang or await staff_language(context, actor_of(update).user_id)
    await say(context, update, notice.msgid, lang, **notice.params)


async def _listing(update: Update, context: BotContext, mine: bool) -> None:
    actor, chat = actor_of(update), update.effective_chat
    assert chat is not None
    now = utcnow()
    async with transaction(context.sessions) as session:
        member = await staff.active(session, actor.user_id)
        if member is None:
            guard.refuse(session, actor, "mine" if mine else "queue", "desk.not_staff", now=now)
            payload = None
        else:
            rows = (await queries.mine(session, int(member.user_id), now) if mine
                    else await queries.queue(session, now))
            payload = cards.queue_listing(rows, staff.interface_language(member), now, mine=mine)
            markup = await desk_render.keyboard(session, context.catalogs, chat.id, payload)
    if payload is None:
        await say(context, update, "desk.not_staff", await staff_language(context, actor.user_id))
        return
    await deliver(context, chat.id, desk_render.text(context.catalogs, payload), markup)


async def queue_command(update: Update, context: BotContext) -> None:
    """/queue: open tickets, most pressing first, with claim buttons."""
    await _listing(update, context, mine=False)


async def mine_command(update: Update, context: BotContext) -> None:
    """/mine: the tickets you hold, with buttons to choose where your messages go."""
    await _listing(update, context, mine=True)


async def reply_command(update: Update, context: BotContext) -> None:
    """/reply [number] text: answer a founder (your current ticket without a number)."""
    number, text = numbered(command_text(update))
    if not text:
        await say(context, update, "desk.usage_reply",
                  await staff_language(context, actor_of(update).user_id))
        return
    done = await run(context, lambda session: ticket_messages.reply(
        session, actor_of(update), number, text, now=utcnow()))
    if not done.result.ok:
        await tell(context, update, done)


async def note_command(update: Update, context: BotContext) -> None:
    """/note [number] text: an internal note the founder never sees."""
    number, text = numbered(command_text(update))
    done = await run(context, lambda session: ticket_messages.add_note(
        session, actor_of(update), number, text, now=utcnow()))
    await tell(context, update, done)


async def resolve_command(update: Update, context: BotContext) -> None:
    """/resolve [number]: close a ticket (your current one without a number)."""
    number, _ = numbered(command_text(update))
    actor = actor_of(update)
    settings = context.resources.settings
    if number is None:
        async with transaction(context.sessions) as session:
            member = await staff.active(session, actor.user_id)
            number = member.current_ticket_id if member is not None else None
        if member is not None and number is None:
            await say(context, update, "desk.no_current_ticket", staff.interface_language(member))
            return
    done = await run(context, lambda session: transitions.resolve(
        session, settings, actor, number or 0, now=utcnow()))
    await tell(context, update, done)


async def open_command(update: Update, context: BotContext) -> None:
    """/open founder_id [note]: start a conversation with a founder who wrote to the bot."""
    founder, note = numbered(command_text(update))
    actor = actor_of(update)
    if founder is None:
        await say(context, update, "desk.usage_open", await staff_language(context, actor.user_id))
        return
    settings = context.resources.settings
    done = await run(context, lambda session: transitions.open_for_founder(
        session, settings, actor, founder, now=utcnow(), note=note))
    await tell(context, update, done)


async def _set_muted(update: Update, context: BotContext, muted: bool) -> None:
    founder, _ = numbered(command_text(update))
    actor = actor_of(update)
    if founder is None:
        await say(context, update, "desk.usage_mute",
                  await staff_language(context, actor.user_id))
        return
    done = await run(context, lambda session: moderation.set_muted(
        session, actor, founder, muted, now=utcnow()))
    await tell(context, update, done)


async def mute_command(update: Update, context: BotContext) -> None:
    """/mute founder_id: stop answering a founder who abuses the bot (they are told once)."""
    await _set_muted(update, context, True)


async def unmute_command(update: Update, context: BotContext) -> None:
    """/unmute founder_id: answer the founder again."""
    await _set_muted(update, context, False)


async def sent_by_staff(session: AsyncSession, update: Update) -> bool:
    """Whether the update's sender is active staff (read in the caller's transaction)."""
    return await staff.active(session, actor_of(update).user_id) is not None


async def handle_staff_text(update: Update, context: BotContext) -> None:
    """Staff's private text (``sent_by_staff``) goes to the founder of their current ticket,
    never to Rasa."""
    actor, message = actor_of(update), update.effective_message
    if message is None or message.text is None:
        return
    if message.text.startswith("/"):
        await say(context, update, "desk.staff_help",
                  await staff_language(context, actor.user_id))
        return
    done = await run(context, lambda session: ticket_messages.reply(
        session, actor, None, message.text or "", now=utcnow()))
    if not done.result.ok:
        await tell(context, update, done)


async def handle_staff_media(update: Update, context: BotContext) -> bool:
    """Staff sent a photo, file or sticker: refuse kindly; nothing reaches the founder."""
    actor = actor_of(update)
    now = utcnow()
    async with transaction(context.sessions) as session:
        member = await staff.active(session, actor.user_id)
        if member is None:
            return False
        guard.refuse(session, actor, "reply", "desk.staff_media", now=now,
                     ticket_id=member.current_ticket_id)
        lang = staff.interface_language(member)
    await say(context, update, "desk.staff_media", lang)
    return True


async def handle_desk_button(update: Update, context: BotContext, action: dict[str, Any]
                             ) -> None:
    """A desk button: staff actions on a ticket, or a founder's rating."""
    query, actor = update.callback_query, actor_of(update)
    assert query is not None
    if action.get("kind") == "desk_rate":
        await _rate(update, context, action)
        return
    settings = context.resources.settings
    op, number = str(action.get("op")), int(action.get("ticket") or 0)
    now = utcnow()
    operations = {
        "claim": lambda s: transitions.claim(s, settings, actor, number, now=now),
        "release": lambda s: transitions.release(s, settings, actor, number, now=now),
        "resolve": lambda s: transitions.resolve(s, settings, actor, number, now=now),
        "priority": lambda s: transitions.set_priority(s, settings, actor, number,
                                                       str(action.get("priority")), now=now),
        "select": lambda s: ticket_messages.select_current(s, actor, number, now=now),
    }
    if op not in operations:
        await query.answer()
        return
    done = await run(context, operations[op])
    lang = done.result.lang or await staff_language(context, actor.user_id)
    notice = done.result.notice
    text = context.catalogs.render(lang, notice.msgid, notice.params) if notice else ""
    if op == "claim" and done.result.ok and _private_blocked(done, actor.user_id):
        text = context.catalogs.render(lang, "desk.staff_start_private", {"ticket": number})
        await query.answer(text[:200], show_alert=True)
        return
    await query.answer(text[:200] or None, show_alert=not done.result.ok)


def _private_blocked(done: Done, user_id: int | None) -> bool:
    """Whether the staff member's private chat refused the ticket (they never started it)."""
    for delivery in done.result.deliveries:
        if delivery.chat_id == user_id and delivery.outbox_id is not None:
            if done.outcomes.get(int(delivery.outbox_id)) in ("blocked", "failed"):
                return True
    return False


async def _rate(update: Update, context: BotContext, action: dict[str, Any]) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    rating, number = int(action.get("rating") or 0), int(action.get("ticket") or 0)
    done = await run(context, lambda session: ticket_messages.rate(
        session, user.id, number, rating, now=utcnow()))
    lang = done.result.lang or await language_of(context, update)
    notice = done.result.notice
    if not done.result.ok:
        text = context.catalogs.render(lang, notice.msgid, notice.params) if notice else None
        await query.answer(text[:200] if text else None, show_alert=True)
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:  # already without buttons
        pass
    await say(context, update, "desk.rating_thanks", lang)


# The desk's commands' handlers (their menu is bot.command_menus.STAFF_COMMANDS).
COMMAND_HANDLERS = {
    "queue": queue_command,
    "mine": mine_command,
    "reply": reply_command,
    "note": note_command,
    "resolve": resolve_command,
    "open": open_command,
    "mute": mute_command,
    "unmute": unmute_command,
}
