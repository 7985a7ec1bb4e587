"""The NLU review queue (``emergebot nlu inbox``): founder messages the model was unsure
about, read from Rasa's tracker store.

Rasa's SQL tracker store keeps every event in one table, ``events`` (``sender_id``,
``type_name``, ``action_name``, ``timestamp`` and the event as JSON in ``data``); a ``user``
event carries the parse Rasa made of the message. This module reads that table with SQLAlchemy
(no Rasa import), picks the messages worth labelling, masks personal data, deduplicates them
and groups them by language and suggested intent, most frequent first.

A founder can label a message themselves: when the bot was unsure between two topics it asked
which one was meant (``clarify.ask``, with a button per topic); the topic button pressed right
after is the founder's choice for the unsure message, suggested first for the maintainer's review.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import make_url

from emergebot.masking import mask
from emergebot.near_duplicates import normalise
from hubdata.followups import is_follow_up

FALLBACK = "nlu_fallback"
ESCALATION_ACTION = "action_escalate_to_staff"
ESCALATION_MSGIDS = ("escalation.created", "escalation.already_open", "escalation.reopened")
# Messages that say nothing about what the founder wanted: an escalation right after one is
# blamed on the message before it.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help",
                        "request_human", "change_language", "smalltalk", "abuse"})
CLARIFY_MSGID = "clarify.ask"  # the bot asked which of two topics an unsure message meant
ESCALATION_LOOKBACK = 3  # founder messages searched back from an escalation
REASONS = {
    "low_confidence": "low confidence",
    "fallback": "fallback",
    "ambiguous": "two intents too close",
    "escalation": "led to an escalation",
    "staff_topic": "staff gave a topic",
    "founder_choice": "the founder chose the first suggestion by button",
}


class ReviewQueueError(Exception):
    """The tracker store cannot be read."""


@dataclass(frozen=True)
class Criteria:
    """What makes a message worth labelling."""

    threshold: float = 0.6  # top intent confidence below this
    margin: float = 0.1  # top two intents closer than this
    since: float | None = None  # only messages after this UNIX time


@dataclass
class Turn:
    """One founder message as the tracker store kept it."""

    sender: str
    timestamp: float
    text: str
    parse: dict[str, Any]
    metadata: dict[str, Any]
    escalated: bool = False
    founder_choice: str | None = None  # the intent the founder picked when asked

    @property
    def ranking(self) -> list[tuple[str, float]]:
        """Intents and confidences, best first, without the fallback pseudo-intent."""
        ranking = [(r["name"], float(r.get("confidence") or 0.0))
                   for r in self.parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
        if not ranking and (self.parse.get("intent") or {}).get("name") not in (None, FALLBACK):
            intent = self.parse["intent"]
            ranking = [(intent["name"], float(intent.get("confidence") or 0.0))]
        return ranking

    @property
    def final_intent(self) -> str | None:
        """The intent the dialogue acted on (``nlu_fallback`` when the model was unsure)."""
        return (self.parse.get("intent") or {}).get("name")

    @property
    def language(self) -> str:
        """The detected language, else the language the bot replied in, else English."""
        detected = (self.parse.get("language") or {}).get("code")
        return detected or self.metadata.get("reply_language") or "en"


@dataclass
class ReviewItem:
    """A message to label, deduplicated: ``count`` founders' messages normalise to it."""

    key: str
    language: str
    text: str  # masked
    suggestions: list[tuple[str, float]]
    reasons: set[str] = field(default_factory=set)
    count: int = 1
    last_seen: float = 0.0
    staff_topic: str | None = None
    founder_choice: str | None = None

    @property
    def suggested(self) -> str:
        """The likeliest intent, or ``nlu_fallback`` when the model had none."""
        return self.suggestions[0][0] if self.suggestions else FALLBACK

    def as_json(self) -> dict[str, Any]:
        """The item as one JSON line of ``nlu inbox --json``."""
        return {"key": self.key, "language": self.language, "text": self.text,
                "count": self.count, "reasons": sorted(self.reasons),
                "suggestions": [[name, round(conf, 4)] for name, conf in self.suggestions],
                "last_seen": round(self.last_seen, 3), "staff_topic": self.staff_topic,
                "founder_choice": self.founder_choice}


def item_key(language: str, text: str) -> str:
    """The deduplication key of a message: its language and normalised, masked text."""
    return f"{language}:{normalise(mask(text))}"


def tracker_url(value: str) -> str:
    """An SQLAlchemy URL for the tracker store setting: a URL, or the path of a SQLite file."""
    if "://" in value:
        return value.replace("+aiosqlite", "").replace("+asyncpg", "")
    return f"sqlite:///{value}"


def shown_url(url: str) -> str:
    """A database URL or path for messages, without its password."""
    if "://" not in url:
        return url
    return make_url(url).render_as_string(hide_password=True)


def is_payload(text: str) -> bool:
    """Whether a message is a button payload or an escaped command, not words to label."""
    return text.startswith(("/", "\u2060/"))


def read_turns(url: str, since: float | None = None) -> list[Turn]:
    """Every founder message in the tracker store, with escalations marked.

    Raises:
        ReviewQueueError: the database or its ``events`` table is missing.
    """
    engine = create_engine(url)
    try:
        if "events" not in inspect(engine).get_table_names():
            raise ReviewQueueError(
                f"no events table in {shown_url(url)}: has the bot answered anyone?")
        events = Table("events", MetaData(), autoload_with=engine)
        query = select(events.c.sender_id, events.c.type_name, events.c.action_name,
                       events.c.data).where(
            events.c.type_name.in_(("user", "action", "bot", "session_started")))
        if since is not None:
            query = query.where(events.c.timestamp >= since)
        with engine.connect() as connection:
            rows = connection.execute(query.order_by(events.c.sender_id, events.c.id)).all()
    except ReviewQueueError:
        raise
    except Exception as error:  # noqa: BLE001 - any driver error means the same to the user
        raise ReviewQueueError(f"cannot read the tracker store {shown_url(url)}: "
                         f"{error.__class__.__name__}") from error
    finally:
        engine.dispose()
    return list(_turns(rows))


def _turns(rows: Iterable[Any]) -> Iterator[Turn]:
    session: list[Turn] = []
    sender = None
    asked: tuple[Turn, set[str]] | None = None  # the unsure message and the intents offered
    for row in rows:
        if row.sender_id != sender:
            yield from session
            session, sender, asked = [], row.sender_id, None
        if row.type_name == "session_started":
            yield from session
            session, asked = [], None
        elif row.type_name == "user":
            data = json.loads(row.data or "{}")
            text = data.get("text") or ""
            turn = Turn(row.sender_id, float(data.get("timestamp") or 0.0), text,
                        data.get("parse_data") or {}, data.get("metadata") or {})
            if asked is not None and is_payload(text) and turn.final_intent in asked[1]:
                asked[0].founder_choice = turn.final_intent
            asked = None
            session.append(turn)
        elif _is_escalation(row):
            _blame(session)
        elif (offered := _clarification(row)) and session and not is_payload(session[-1].text):
            asked = (session[-1], offered)
    yield from session


def _clarification(row: Any) -> set[str]:
    """The intents a ``clarify.ask`` message offered as buttons (empty for any other row)."""
    if row.type_name != "bot":
        return set()
    custom = (json.loads(row.data or "{}").get("data") or {}).get("custom") or {}
    if custom.get("msgid") != CLARIFY_MSGID:
        return set()
    payloads = [str(b.get("payload") or "") for b in custom.get("buttons") or []]
    return {p[1:].partition("{")[0] for p in payloads if p.startswith("/")} - SMALL_TALK


def _is_escalation(row: Any) -> bool:
    if row.type_name == "action":
        return row.action_name == ESCALATION_ACTION
    if row.type_name == "bot":
        custom = (json.loads(row.data or "{}").get("data") or {}).get("custom") or {}
        return custom.get("msgid") in ESCALATION_MSGIDS
    return False


def _blame(session: list[Turn]) -> None:
    """Mark the message an escalation followed: the last one that asked for something."""
    typed = [t for t in session if t.text and not is_payload(t.text)]
    for turn in reversed(typed[-ESCALATION_LOOKBACK:]):
        if turn.final_intent not in SMALL_TALK:
            turn.escalated = True
            return


def reasons(turn: Turn, criteria: Criteria) -> set[str]:
    """Why a message is worth labelling (empty: it is not)."""
    if not turn.text.strip() or is_payload(turn.text):
        return set()
    if is_follow_up(turn.text, turn.parse.get("entities") or []):
        return {"escalation"} if turn.escalated else set()
    found = set()
    ranking = turn.ranking
    top = ranking[0][1] if ranking else 0.0
    if top < criteria.threshold:
        found.add("low_confidence")
    if turn.final_intent == FALLBACK:
        found.add("fallback")
    if len(ranking) > 1 and ranking[0][1] - ranking[1][1] < criteria.margin:
        found.add("ambiguous")
    if turn.escalated:
        found.add("escalation")
    if turn.founder_choice:
        found.add("founder_choice")
    return found


def collect(turns: Iterable[Turn], criteria: Criteria = Criteria(),
            staff: Iterable[ReviewItem] = ()) -> list[ReviewItem]:
    """The messages worth labelling, masked and deduplicated (unordered)."""
    items: dict[str, ReviewItem] = {}
    for turn in turns:
        why = reasons(turn, criteria)
        if not why or (criteria.since is not None and turn.timestamp < criteria.since):
            continue
        key = item_key(turn.language, turn.text)
        item = items.get(key)
        if item is None:
            item = items[key] = ReviewItem(key, turn.language, mask(turn.text),
                                          turn.ranking[:3], why, last_seen=turn.timestamp)
        else:
            item.count += 1
            item.reasons |= why
            if turn.timestamp >= item.last_seen:
                item.last_seen, item.suggestions = turn.timestamp, turn.ranking[:3]
        if turn.founder_choice and (item.founder_choice is None
                                    or turn.timestamp >= item.last_seen):
            item.founder_choice = turn.founder_choice
        if item.founder_choice:
            item.suggestions = _put_first(item.suggestions, item.founder_choice)
    for extra in staff:
        item = items.get(extra.key)
        if item is None:
            items[extra.key] = extra
        else:
            item.reasons |= extra.reasons
            item.staff_topic = extra.staff_topic
            item.suggestions = _put_first(item.suggestions, extra.suggested)
    return list(items.values())


def _put_first(suggestions: list[tuple[str, float]], intent: str) -> list[tuple[str, float]]:
    rest = [s for s in suggestions if s[0] != intent]
    confidence = next((c for name, c in suggestions if name == intent), 0.0)
    return [(intent, confidence), *rest]


def grouped(items: Iterable[ReviewItem]) -> list[tuple[str, str, list[ReviewItem]]]:
    """(language, suggested intent, items): biggest groups first, then most frequent items."""
    groups: dict[tuple[str, str], list[ReviewItem]] = defaultdict(list)
    for item in items:
        groups[(item.language, item.suggested)].append(item)
    ordered = sorted(groups.items(),
                     key=lambda kv: (-sum(i.count for i in kv[1]), kv[0][0], kv[0][1]))
    return [(lang, intent, sorted(members, key=lambda i: (-i.count, -i.last_seen, i.text)))
            for (lang, intent), members in ordered]


def ordered(items: Iterable[ReviewItem]) -> list[ReviewItem]:
    """The items in inbox order (group by group)."""
    return [item for _, _, members in grouped(items) for item in members]


def since_days(days: float | None) -> float | None:
    """The UNIX time ``days`` ago (None for no limit)."""
    return None if days is None else time.time() - days * 86400
