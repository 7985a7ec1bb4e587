"""The adapter's side of the staff desk: deliver the outbox, announce tickets, run SLA checks.

Whatever process changed a ticket (this adapter, the action server, the console) queued what
must be said in the outbox; only the adapter talks to Telegram, so it delivers, in order: right
after its own changes, and every ``desk_poll_interval_s`` for the others' changes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import desk_render, telegram_html
from bot.command_menus import REFRESH_INTERVAL_S, StaffMenus
from bot.rasa_client import NLUUnavailable
from bot.rasa_tracker import RasaTrackerAPI
from hubdata.db import transaction
from hubdata.desk import (
    announcements,
    deliveries,
    outbox,
    queries,
    sla,
    ticket_messages,
    transcript,
)
from hubdata.desk.clock import Clock, aware, system_clock
from hubdata.desk.results import Result
from hubdata.i18n import Catalogs
from hubdata.models import OutboxMessage, Ticket
from hubdata.settings import Settings

logger = logging.getLogger(__name__)
ROUNDS = 5  # deliveries can queue more (a blocked founder: tell the staff); follow them up
BATCH = 50
SENT, BLOCKED, FAILED, RETRY = "sent", "blocked", "failed", "retry"
ANNOUNCE_GRACE = timedelta(seconds=3)  # the adapter that served the request announces it first


@dataclass
class Attempt:
    """How one delivery went."""

    status: str
    error: str | None = None
    retry_in: timedelta | None = None


def _seconds(delay: Any) -> float:
    return delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 300))


class OutboxDelivery:
    """Delivers the desk's outbox; announces new tickets; reminds staff of SLA targets."""

    def __init__(self, bot: Bot, sessions: sessionmaker, catalogs: Catalogs, settings: Settings,
                 tracker_api: RasaTrackerAPI, clock: Clock = system_clock,
                 menus: StaffMenus | None = None) -> None:
        """Keep what delivering needs; ``start()`` launches the periodic tasks.

        Args:
            menus: The staff command menus, refreshed every minute (none: not refreshed).
        """
        self.bot = bot
        self.sessions = sessions
        self.catalogs = catalogs
        self.settings = settings
        self.tracker_api = tracker_api
        self.clock = clock
        self._flush_lock = asyncio.Lock()
        self._announce_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.menus = menus

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Resume rows a crash left half-sent, then run the delivery and SLA loops."""
        async with transaction(self.sessions) as session:
            stale = await outbox.requeue_stale(session, self.clock())
        if stale:
            logger.info("requeued %d outbox row(s) left by a crash", stale)
        self._tasks = [
            asyncio.create_task(self._every(self.settings.desk_poll_interval_s, self.poll),
                                name="desk-outbox"),
            asyncio.create_task(self._every(self.settings.sla_check_interval_s, self.check_sla),
                                name="desk-sla"),
        ]
        if self.menus is not None:
            self._tasks.append(asyncio.create_task(
                self._every(REFRESH_INTERVAL_S, self.menus.refresh), name="staff-menus"))

    async def stop(self) -> None:
        """Stop the loops."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _every(self, interval: float, job: Any) -> None:
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except StaleDataError:
                logger.info("a ticket changed under %s; next round", job.__name__)
            except Exception:  # noqa: BLE001 - a failed round must not end the loop
                logger.exception("desk job %s failed", job.__name__)
            await asyncio.sleep(interval)

    async def poll(self) -> None:
        """Announce tickets opened elsewhere and deliver what other processes queued."""
        async with transaction(self.sessions) as session:  # announce_opened() gets a head start
            waiting = [t.id for t in await announcements.unannounced(
                session, before=self.clock() - ANNOUNCE_GRACE)]
        for ticket_id in waiting:
            await self.announce(ticket_id)
        await self.flush()

    async def check_sla(self) -> Result:
        """Queue the SLA reminders due now and deliver them."""
        async with transaction(self.sessions) as session:
            result = await sla.check(session, self.settings, self.clock())
        if result.deliveries:
            await self.flush()
        return result

    # -------------------------------------------------------------------- announce
    async def announce(self, ticket_id: int, founder_name: str | None = None) -> None:
        """Post a new ticket to staff with the conversation before the handoff, read from
        Rasa's tracker (the last founder message if Rasa cannot be reached)."""
        async with self._announce_lock:
            async with transaction(self.sessions) as session:
                ticket = await queries.get(session, ticket_id)
                if ticket is None or ticket.announced_at is not None or not ticket.is_open:
                    return
                founder_id, lang, last = ticket.founder_id, ticket.language, ticket.last_message
                times = [aware(m.created_at) for m in ticket.messages]
            since = max(times) if times else None
            try:
                state = await self.tracker_api.tracker(str(founder_id))
                lines = transcript.from_tracker(
                    state.get("events") or [],
                    lambda msgid, params: self.catalogs.render(lang, msgid, params),
                    since=since)
            except NLUUnavailable as error:
                logger.warning("no transcript for ticket %s: %s", ticket_id, error)
                lines = [transcript.Line("founder", last)] if last and since is None else []
            try:
                async with transaction(self.sessions) as session:
                    await announcements.announce(session, self.settings, ticket_id,
                                                 now=self.clock(), transcript=lines,
                                                 founder_name=founder_name)
            except StaleDataError:
                logger.info("ticket %s changed while being announced; next round", ticket_id)

    # ---------------------------------------------------------------------- outbox
    async def flush(self, conversation_id: str | None = None) -> dict[int, str]:
        """Deliver every due row (of one Rasa conversation, if given), oldest first.

        Returns:
            Row id to "sent", "blocked", "failed" or "retry", for the rows tried.
        """
        outcomes: dict[int, str] = {}
        async with self._flush_lock:
            for _ in range(ROUNDS):
                async with transaction(self.sessions) as session:
                    rows = list(await outbox.due(session, self.clock(), BATCH, conversation_id))
                rows = [r for r in rows if r.id not in outcomes]
                if not rows:
                    break
                held: set[tuple[str, str]] = set()  # keep each chat's order: stop at a retry
                for row in rows:
                    key = outbox.recipient(row)
                    if key in held:
                        continue
                    outcomes[row.id] = await self._deliver_row(row)
                    if outcomes[row.id] == RETRY:
                        held.add(key)
        return outcomes

    async def _deliver_row(self, row: OutboxMessage) -> str:
        now = self.clock()
        async with transaction(self.sessions) as session:
            if not await outbox.claim(session, row.id, now):
                return "taken"
        try:
            if row.target == outbox.RASA:
                attempt = await self._to_rasa(row)
            else:
                attempt = await self._to_telegram(row)
        except Exception as error:  # noqa: BLE001 - keep the row for a later try
            logger.exception("outbox row %s failed", row.id)
            attempt = Attempt(RETRY, repr(error), _backoff(row.attempts + 1))
        async with transaction(self.sessions) as session:
            await outbox.finish(session, row.id, self.clock(), ok=attempt.status == SENT,
                                error=attempt.error, retry_in=attempt.retry_in)
            if attempt.status == BLOCKED and row.payload.get("audience") == "founder" and (
                    row.ticket_id is not None):
                if row.payload.get("reply_row"):
                    await ticket_messages.reply_delivered(session, int(row.payload["reply_row"]),
                                                          BLOCKED)
                await ticket_messages.founder_blocked(session, self.settings, int(row.ticket_id),
                                                      now=self.clock())
        return attempt.status

    async def _to_rasa(self, row: OutboxMessage) -> Attempt:
        conversation_id = str(row.conversation_id)
        try:
            state = await self.tracker_api.append_events(conversation_id,
                                                         list(row.payload["events"]))
            if row.payload.get("keep_paused") and not state.get("paused"):
                async with transaction(self.sessions) as session:
                    ticket = await session.get(Ticket, row.ticket_id) if row.ticket_id else None
                    still_open = ticket is not None and ticket.is_open
                if still_open:  # a new Rasa session unpaused it: pause again
                    await self.tracker_api.append_events(conversation_id, [deliveries.PAUSE])
        except NLUUnavailable as error:
            return Attempt(RETRY, str(error), _backoff(row.attempts + 1))
        return Attempt(SENT)

    async def _to_telegram(self, row: OutboxMessage) -> Attempt:
        payload = row.payload
        chat_id = int(row.chat_id or 0)
        async with transaction(self.sessions) as session:
            message_id = None
            if payload.get("op") == "edit_card":
                ticket = await session.get(Ticket, int(payload["ticket"]))
                # an erased ticket's card: the payload names the message itself
                message_id = payload.get("message_id") if ticket is None else \
                    ticket.card_message_id
                if message_id is None:
                    return Attempt(SENT, "no card to edit")
            markup = await desk_render.keyboard(session, self.catalogs, chat_id, payload)
        text = desk_render.text(self.catalogs, payload)

        async def put(body: str, parse_mode: str | None) -> Any:
            if message_id is not None:
                return await self.bot.edit_message_text(body, chat_id, int(message_id),
                                                        parse_mode=parse_mode,
                                                        reply_markup=markup,
                                                        disable_web_page_preview=True)
            return await self.bot.send_message(chat_id, body, parse_mode=parse_mode,
                                               reply_markup=markup,
                                               disable_web_page_preview=True)

        try:
            try:
                sent = await put(text, ParseMode.HTML)
            except BadRequest as error:
                if not telegram_html.is_parse_error(error):
                    raise
                logger.warning("outbox row %s: Telegram could not parse its HTML (%s); "
                               "sending it as plain text", row.id, error.message)
                sent = await put(telegram_html.as_plain(text), None)
            if message_id is not None:
                return Attempt(SENT)
        except RetryAfter as error:
            return Attempt(RETRY, "flood control", timedelta(seconds=_seconds(error.retry_after)))
        except Forbidden as error:
            logger.info("chat %s blocked the bot: outbox row %s not delivered", chat_id, row.id)
            return Attempt(BLOCKED, f"blocked: {error.message}")
        except BadRequest as error:
            if "not modified" in error.message:
                return Attempt(SENT)
            logger.error("outbox row %s refused by Telegram: %s", row.id, error.message)
            return Attempt(FAILED, error.message)
        except (NetworkError, TelegramError) as error:
            return Attempt(RETRY, str(error), _backoff(row.attempts + 1))
        async with transaction(self.sessions) as session:
            if payload.get("card_of"):
                await ticket_messages.card_sent(session, int(payload["card_of"]), sent.message_id)
            if payload.get("reply_row"):
                await ticket_messages.reply_delivered(session, int(payload["reply_row"]), SENT)
        return Attempt(SENT)
