"""The load: simulated founders talk to the bot through the fake Bot API at a target rate.

Messages are due on an open-loop schedule (``bench.schedule``). When one is due, a founder who
has had the bot's answer and has thought it over (at least a second since the answer) takes
the next step of their conversation; when nobody is ready, a new founder opens a chat, so the
offered rate holds whatever the bot does. Latency of a turn: from the update entering the fake
Bot API (``update_times``) to the last bot message or edit that answers it (events carry the
latest user update of their chat, ``in_reply_to_update_id``).
"""

from __future__ import annotations

import asyncio
import heapq
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.founders import CLICK, Step, choose_button, conversation, load_phrases
from bench.schedule import arrival_offsets, think_time
from bench.stats import summarise
from devtools.fake_telegram import Event, FakeTelegram
from hubdata.i18n import Catalogs
from hubdata.settings import SUPPORTED_LANGUAGES

# Replies that mean the turn failed, whatever the language.
ERROR_IDS = ("error.nlu_unavailable", "error.internal", "error.database", "button.expired")
# Replies that hand the chat to staff (asked for, or the first button of the bot's offer of a
# person after two misunderstandings): a person answers from then on, so the founder stops.
HANDOFF_IDS = ("escalation.created", "escalation.already_open", "escalation.reopened")
SETTLE_S = 0.5  # after the last first-reply of a step, wait this long for trailing replies
_PLACEHOLDER = re.compile(r"\\\{[a-z_]+\\\}")


class ReplyPatterns:
    """Recognises replies of given message ids (by default the error replies) in every
    language."""

    def __init__(self, catalogs: Catalogs, msgids: tuple[str, ...] = ERROR_IDS) -> None:
        """Compile one pattern per message id and language."""
        self._patterns = [
            (
                msgid,
                re.compile(_PLACEHOLDER.sub(".+?", re.escape(catalogs.gettext(lang, msgid))), re.S),
            )
            for msgid in msgids
            for lang in SUPPORTED_LANGUAGES
        ]

    def match(self, text: str) -> str | None:
        """The error message id ``text`` renders, or None for an ordinary reply."""
        return next((msgid for msgid, pattern in self._patterns if pattern.match(text)), None)


@dataclass
class Turn:
    """One founder message (or button press) and the bot's answer to it."""

    update_id: int
    chat_id: int
    lang: str
    label: str
    kind: str
    step: str
    sent_at: float
    first_at: float | None = None
    last_at: float | None = None
    replies: int = 0
    error: str | None = None

    @property
    def latency(self) -> float | None:
        """Seconds from the update entering the fake to the last reply, None if unanswered."""
        return None if self.last_at is None else self.last_at - self.sent_at


@dataclass
class Founder:
    """A simulated founder in one private chat."""

    chat_id: int
    lang: str
    rng: random.Random
    steps: list[Step]
    index: int = 0
    ready_at: float = 0.0
    think_s: float = 1.0
    waiting: bool = False
    retired: bool = False
    turn: Turn | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)
    buttons_message_id: int | None = None


@dataclass
class StepResult:
    """What one load step measured."""

    name: str
    target_rate: float
    duration_s: float
    turns: list[Turn]
    missed: int
    max_lag_ms: float
    new_founders: int
    active_founders: int
    timeout_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The step's figures as JSON-ready values."""
        answered = [t for t in self.turns if t.first_at is not None]
        latencies = [t.latency if t.latency is not None else self.timeout_s for t in self.turns]
        errors = Counter(t.error for t in self.turns if t.error)
        ends = [t.last_at for t in answered if t.last_at is not None]
        starts = [t.sent_at for t in self.turns]
        span = (max(ends) - min(starts)) if ends and starts else 0.0
        by_language = {
            lang: summarise([t.latency or self.timeout_s for t in self.turns if t.lang == lang])
            for lang in SUPPORTED_LANGUAGES
        }
        by_kind: dict[str, list[float]] = defaultdict(list)
        for turn, latency in zip(self.turns, latencies, strict=True):
            by_kind[turn.kind].append(latency)
        return {
            "name": self.name,
            "target_rate": self.target_rate,
            "duration_s": self.duration_s,
            "sent": len(self.turns),
            "achieved_rate": round(len(self.turns) / self.duration_s, 2) if self.duration_s else 0,
            "answered": len(answered),
            "answered_rate": round(len(answered) / span, 2) if span else 0.0,
            "latency": summarise(latencies),
            "latency_by_language": {k: v for k, v in by_language.items() if v["count"]},
            "latency_by_kind": {k: summarise(v) for k, v in sorted(by_kind.items())},
            "errors": sum(errors.values()) + self.missed,
            "error_kinds": {**errors, **({"no founder ready": self.missed} if self.missed else {})},
            "errors_by_step": dict(Counter(f"{t.error}: {t.label}" for t in self.turns if t.error)),
            "error_turns": [
                {"update_id": t.update_id, "chat_id": t.chat_id, "lang": t.lang, "label": t.label,
                 "error": t.error}
                for t in self.turns if t.error
            ][:20],
            "replies_per_turn": round(sum(t.replies for t in answered) / len(answered), 2)
            if answered
            else 0.0,
            "max_schedule_lag_ms": round(self.max_lag_ms, 1),
            "new_founders": self.new_founders,
            "active_founders": self.active_founders,
            **self.extra,
        }


class LoadDriver:
    """Drives founders against a running stack through an in-process fake Bot API.

    Args:
        fake: The fake Bot API the adapter polls.
        catalogs: The message catalogs, to recognise error replies.
        seed: Seed of every random choice (languages, conversations, think times).
        initial_founders: Founders present from the start (more join when none is ready).
        max_founders: Founders at most; a due message with nobody ready beyond it is "missed".
        turn_timeout_s: A turn with no reply after this long counts as a timeout error.
        returning: Chance that a founder who finished a conversation starts another in the
            same chat (its Rasa tracker keeps growing), instead of leaving.
        first_chat_id: The first founder's chat id.
    """

    def __init__(
        self,
        fake: FakeTelegram,
        catalogs: Catalogs,
        *,
        seed: int = 1,
        initial_founders: int = 60,
        max_founders: int = 5000,
        turn_timeout_s: float = 10.0,
        returning: float = 0.5,
        first_chat_id: int = 2_000_001,
    ) -> None:
        self.fake = fake
        self.errors = ReplyPatterns(catalogs)
        self.handoffs = ReplyPatterns(catalogs, HANDOFF_IDS)
        self.handed_off = 0  # founders whose chat went to staff
        self.turn_timeout_s = turn_timeout_s
        self.returning = returning
        self.max_founders = max_founders
        self.turns: dict[int, Turn] = {}
        self.founders: dict[int, Founder] = {}
        self._rng = random.Random(seed)
        self._phrases = load_phrases()
        self._next_chat = first_chat_id
        self._ready: list[tuple[float, int, int]] = []
        self._pushes = 0
        self._waiting: set[int] = set()
        self._cursor = fake.mark()
        self._consumer: asyncio.Task[None] | None = None
        self._initial = initial_founders

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start following the bot's output and seat the first founders."""
        self._consumer = asyncio.create_task(self._consume(), name="bench-events")
        now = time.monotonic()
        for _ in range(self._initial):
            self._push(self._new_founder(), now)

    async def stop(self) -> None:
        """Stop following the bot's output."""
        if self._consumer is not None:
            self._consumer.cancel()
            try:
                await self._consumer
            except asyncio.CancelledError:
                pass
            self._consumer = None

    @property
    def active_founders(self) -> int:
        """Founders who have not left."""
        return sum(not f.retired for f in self.founders.values())

    # ---------------------------------------------------------------- steps
    async def run_step(
        self, name: str, rate: float, duration_s: float, *, arrivals: str = "poisson", seed: int = 0
    ) -> StepResult:
        """Offer ``rate`` messages per second for ``duration_s``, then wait for the answers.

        Args:
            name: The step's name in the report.
            rate: Target messages per second.
            duration_s: How long messages are sent.
            arrivals: ``poisson`` or ``uniform`` gaps (see ``bench.schedule``).
            seed: Seed of the gaps.

        Returns:
            The step's turns and counters.
        """
        founders_before = len(self.founders)
        turns: list[Turn] = []
        missed = 0
        max_lag = 0.0
        start = time.monotonic()
        for offset in arrival_offsets(rate, duration_s, arrivals, seed):
            due = start + offset
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, time.monotonic() - due)
            turn = await self._send_next(name)
            if turn is None:
                missed += 1
            else:
                turns.append(turn)
        await self._drain(turns)
        return StepResult(
            name=name,
            target_rate=rate,
            duration_s=duration_s,
            turns=turns,
            missed=missed,
            max_lag_ms=max_lag * 1000.0,
            new_founders=len(self.founders) - founders_before,
            active_founders=self.active_founders,
            timeout_s=self.turn_timeout_s,
        )

    async def one_turn(
        self, chat_id: int, text: str, lang: str = "en", timeout_s: float = 60.0
    ) -> Turn:
        """Send one message outside the schedule and wait for its first reply (start-up probe)."""
        mark = self.fake.mark()
        update = await self.fake.send_text(chat_id, text, language_code=lang)
        turn = self._record(update, chat_id, lang, "probe", "text", "probe")

        def first_reply() -> Event | None:
            return next(
                (e for e in self.fake.events[mark:] if e.in_reply_to_update_id == turn.update_id),
                None,
            )

        await self.fake.wait_until(first_reply, timeout_s)
        reply = first_reply()
        if reply is not None:
            turn.first_at = turn.first_at or reply.time
        return turn

    async def _drain(self, turns: list[Turn]) -> None:
        deadline = time.monotonic() + self.turn_timeout_s + 1.0
        while time.monotonic() < deadline:
            self._expire(time.monotonic())
            if all(t.first_at is not None or t.error for t in turns):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE_S)

    # -------------------------------------------------------------- founders
    def _new_founder(self) -> Founder:
        chat_id = self._next_chat
        self._next_chat += 1
        rng = random.Random(self._rng.getrandbits(64))
        lang = SUPPORTED_LANGUAGES[chat_id % len(SUPPORTED_LANGUAGES)]
        founder = Founder(chat_id, lang, rng, conversation(rng, lang, self._phrases))
        self.founders[chat_id] = founder
        return founder

    def _push(self, founder: Founder, ready_at: float) -> None:
        founder.ready_at = ready_at
        self._pushes += 1
        heapq.heappush(self._ready, (ready_at, self._pushes, founder.chat_id))

    def _next_action(self, founder: Founder) -> tuple[Step, str | None] | None:
        while True:
            if founder.index >= len(founder.steps):
                if founder.steps and founder.steps[-1].label == "human":
                    return None  # their chat is the staff's now; a person answers
                if founder.rng.random() >= self.returning:
                    return None
                founder.steps = conversation(founder.rng, founder.lang, self._phrases)
                founder.index = 0
            step = founder.steps[founder.index]
            founder.index += 1
            if step.kind != CLICK:
                return step, None
            data = choose_button(founder.buttons)
            if data is not None:
                return step, data

    def _pick(self, now: float) -> tuple[Founder, Step, str | None] | None:
        while self._ready and self._ready[0][0] <= now:
            ready_at, _, chat_id = heapq.heappop(self._ready)
            founder = self.founders[chat_id]
            if founder.retired or founder.waiting or ready_at != founder.ready_at:
                continue
            action = self._next_action(founder)
            if action is None:
                founder.retired = True
                continue
            return founder, *action
        if self.active_founders >= self.max_founders:
            return None
        founder = self._new_founder()
        action = self._next_action(founder)
        return None if action is None else (founder, *action)

    async def _send_next(self, step_name: str) -> Turn | None:
        picked = self._pick(time.monotonic())
        if picked is None:
            return None
        founder, step, data = picked
        if step.kind == CLICK and data is not None and founder.buttons_message_id is not None:
            try:
                update = await self.fake.click(founder.chat_id, founder.buttons_message_id, data)
            except LookupError:  # the keyboard changed since: type the next thing instead
                update = await self.fake.send_text(founder.chat_id, "?", language_code=founder.lang)
        else:
            update = await self.fake.send_text(
                founder.chat_id, step.text, language_code=founder.lang
            )
        turn = self._record(update, founder.chat_id, founder.lang, step.label, step.kind, step_name)
        founder.turn = turn
        founder.waiting = True
        founder.think_s = think_time(founder.rng)
        self._waiting.add(founder.chat_id)
        return turn

    def _record(
        self, update: dict[str, Any], chat_id: int, lang: str, label: str, kind: str, step_name: str
    ) -> Turn:
        update_id = int(update["update_id"])
        turn = Turn(
            update_id=update_id,
            chat_id=chat_id,
            lang=lang,
            label=label,
            kind=kind,
            step=step_name,
            sent_at=self.fake.update_times[update_id],
        )
        self.turns[update_id] = turn
        return turn

    def _expire(self, now: float) -> None:
        for chat_id in list(self._waiting):
            founder = self.founders[chat_id]
            turn = founder.turn
            if turn is not None and now - turn.sent_at > self.turn_timeout_s:
                turn.error = turn.error or "timeout"
                founder.waiting = False
                self._waiting.discard(chat_id)
                self._push(founder, now + founder.think_s)

    # ---------------------------------------------------------- bot output
    async def _consume(self) -> None:
        while True:
            events = await self.fake.events_after(self._cursor, timeout=0.5)
            for event in events:
                self._cursor = max(self._cursor, event.seq)
                self._on_event(event)
            self._expire(time.monotonic())

    def _on_event(self, event: Event) -> None:
        if event.kind not in ("message", "edit"):
            return
        founder = self.founders.get(event.chat_id)
        markup = event.message.get("reply_markup") or {}
        if founder is not None and markup.get("inline_keyboard"):
            founder.buttons = [
                (b.get("text", ""), b["callback_data"])
                for row in markup["inline_keyboard"]
                for b in row
                if "callback_data" in b
            ]
            founder.buttons_message_id = event.message_id
        turn = self.turns.get(event.in_reply_to_update_id or -1)
        if turn is None:
            return
        turn.replies += 1
        turn.first_at = turn.first_at or event.time
        turn.last_at = event.time
        text = str(event.message.get("text", ""))
        error = self.errors.match(text)
        if error and not turn.error:
            turn.error = f"reply {error}"
        if founder is not None and self.handoffs.match(text):
            founder.retired = True  # staff have the chat now
            self.handed_off += 1
            founder.waiting = False
            self._waiting.discard(founder.chat_id)
            return
        if founder is not None and founder.turn is turn and not founder.retired:
            founder.waiting = False
            self._waiting.discard(founder.chat_id)
            self._push(founder, max(founder.ready_at, event.time + founder.think_s))
