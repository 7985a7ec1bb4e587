"""Messages that hub staff resolved, with the topic staff gave them (for ``nlu inbox``).

The staff desk keeps tickets in the bot's database. Its schema may change independently of
this module, so the table is read by reflection at run time and skipped when it is absent:
a ``tickets`` table with a topic column and either the founder's message or an
``escalation_id`` pointing at ``escalations.last_message``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, Table, create_engine, inspect, literal, select

from emergebot.masking import mask
from emergebot.review_queue import ReviewItem, is_payload, item_key
from hubdata import langid

TOPIC_COLUMNS = ("staff_topic", "resolved_topic", "topic", "category")
TEXT_COLUMNS = ("last_message", "founder_message", "message", "question", "text")
DONE_STATUSES = ("resolved", "closed", "done", "answered")


def sync_url(database_url: str) -> str:
    """The synchronous SQLAlchemy URL of the bot's (async) database URL."""
    return database_url.replace("+aiosqlite", "").replace("+asyncpg", "")


def topic_intent(topic: str, intents: frozenset[str]) -> str | None:
    """The intent a staff topic names: ``funding`` -> ``ask_funding``; None when none does."""
    topic = topic.strip().lower().replace(" ", "_")
    for name in (topic, f"ask_{topic}", f"ask_{topic.rstrip('s')}", f"ask_{topic}s"):
        if name in intents:
            return name
    return None


def _first(columns: dict[str, Any], names: tuple[str, ...]) -> Any | None:
    return next((columns[name] for name in names if name in columns), None)


def staff_items(database_url: str, intents: frozenset[str]) -> tuple[list[ReviewItem], str]:
    """Resolved tickets with a staff topic, as inbox items, and a note on what was read."""
    engine = create_engine(sync_url(database_url))
    try:
        tables = set(inspect(engine).get_table_names())
        if "tickets" not in tables:
            return [], "no tickets table: staff topics skipped"
        tickets = Table("tickets", MetaData(), autoload_with=engine)
        columns = dict(tickets.c.items())
        topic = _first(columns, TOPIC_COLUMNS)
        text = _first(columns, TEXT_COLUMNS)
        language = columns.get("language")
        query = None
        if topic is not None and text is not None:
            query = select(text.label("text"), topic.label("topic"),
                           (language if language is not None else literal(None)).label("language"))
            source = tickets
        elif topic is not None and "escalation_id" in columns and "escalations" in tables:
            escalations = Table("escalations", MetaData(), autoload_with=engine)
            query = select(escalations.c.last_message.label("text"), topic.label("topic"),
                           escalations.c.language.label("language"))
            source = tickets.join(escalations, columns["escalation_id"] == escalations.c.id)
        if query is None or topic is None:
            return [], "the tickets table has no topic and message columns: staff topics skipped"
        query = query.select_from(source).where(topic.isnot(None))
        if "status" in columns:
            query = query.where(columns["status"].in_(DONE_STATUSES))
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    items = []
    for row in rows:
        message = row.text or ""
        intent = topic_intent(str(row.topic), intents)
        if not message.strip() or is_payload(message) or intent is None:
            continue
        lang = row.language or langid.guess(message) or "en"
        items.append(ReviewItem(item_key(lang, message), lang, mask(message), [(intent, 0.0)],
                               {"staff_topic"}, staff_topic=str(row.topic)))
    return items, f"{len(items)} resolved ticket(s) with a staff topic"
