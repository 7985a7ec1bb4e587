"""SQLAlchemy models of the resource catalogue and of the bot's own state."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

KINDS = ("funding", "mentor", "hub", "event", "training", "partner", "membership", "faq")
# current: a primary or recent source says it holds now; dated: true as of ``as_of``, nothing
# newer found; example: no readable source; retired: ended, kept for history, never offered.
STATUSES = ("current", "dated", "example", "retired")
OFFERED_STATUSES = ("current", "dated", "example")
# What a direct answer (kind ``faq``) is about: the topic intent it answers beside the cards.
FAQ_TOPICS = ("membership", "partnership", "events", "funding", "mentor", "hubs", "training")
FUNDING_TYPES = ("grant", "equity", "loan", "prize")
SECTORS = (
    "agritech",
    "fintech",
    "healthtech",
    "edtech",
    "cleantech",
    "ecommerce",
    "logistics",
    "connectivity",
    "govtech",
    "other",
)
STAGES = ("idea", "early", "growth", "scale")


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(timezone.utc)


class Resource(Base):
    """One record of the catalogue: a funding call, hub, mentor network, event, ..."""

    __tablename__ = "resources"

    id = Column(String(120), primary_key=True)
    kind = Column(String(20), nullable=False, index=True)
    funding_type = Column(String(20), nullable=True)
    organisation = Column(String(200), nullable=False)
    areas = Column(JSON, nullable=False, default=list)  # ISO alpha-2, M49 codes or named groups
    sectors = Column(JSON, nullable=False, default=list)  # "any" or SECTORS
    stages = Column(JSON, nullable=False, default=list)  # "any" or STAGES
    languages = Column(JSON, nullable=False, default=list)
    topic = Column(String(20), nullable=True)  # faq: the topic it answers (FAQ_TOPICS)
    amount_value = Column(Float, nullable=True)  # the headline amount, formatted per locale
    amount_currency = Column(String(3), nullable=True)  # ISO 4217
    location = Column(String(200), nullable=True)
    starts_on = Column(Date, nullable=True)  # events
    ends_on = Column(Date, nullable=True)
    opens_on = Column(Date, nullable=True)  # calls
    deadline = Column(Date, nullable=True)
    url = Column(String(500), nullable=False)
    source_url = Column(String(500), nullable=True)  # None only for an example
    status = Column(String(10), nullable=False, default="current", index=True)
    as_of = Column(Date, nullable=True)  # the date the facts hold for
    as_of_text = Column(String(10), nullable=True)  # as written: "2021", "2021-06", a date
    verified_on = Column(Date, nullable=True)  # when someone last checked the source
    review_months = Column(Integer, nullable=True)  # None: the kind's default
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    version = Column(Integer, nullable=False, default=1)

    texts = relationship(
        "ResourceText", back_populates="resource", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_example(self) -> bool:
        """Whether no readable public source supports the entry (shown with a warning)."""
        return self.status == "example"

    def text(self, lang: str) -> ResourceText:
        """The title and description in ``lang``, falling back to English."""
        by_lang = {t.lang: t for t in self.texts}
        return by_lang.get(lang) or by_lang["en"]


class ResourceText(Base):
    """Title and description of a resource in one language."""

    __tablename__ = "resource_texts"

    resource_id = Column(
        String(120), ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    lang = Column(String(5), primary_key=True)
    title = Column(String(300), nullable=False)
    description = Column(Text, nullable=False)
    amount = Column(Text, nullable=True)  # what is offered, in words (the amount's detail)
    questions = Column(JSON, nullable=False, default=list)  # faq: the questions it answers

    resource = relationship("Resource", back_populates="texts")


class Founder(Base):
    """A founder's profile and language choice, keyed by Telegram user id."""

    __tablename__ = "founders"

    user_id = Column(BigInteger, primary_key=True, autoincrement=False)
    chat_id = Column(BigInteger, nullable=True)
    language = Column(String(5), nullable=True)  # explicit choice
    detected_language = Column(String(5), nullable=True)  # last confident detection
    telegram_language = Column(String(16), nullable=True)
    country = Column(String(2), nullable=True)
    sector = Column(String(20), nullable=True)
    stage = Column(String(10), nullable=True)
    # "Report a problem", reason "other": the founder's next message is the report's text.
    pending_report_id = Column(String(120), nullable=True)
    pending_report_at = Column(DateTime(timezone=True), nullable=True)
    report_limit_noticed_at = Column(DateTime(timezone=True), nullable=True)
    muted_at = Column(DateTime(timezone=True), nullable=True)  # by staff: messages not answered
    muted_by = Column(BigInteger, nullable=True)
    mute_noticed_at = Column(DateTime(timezone=True), nullable=True)  # told once while muted
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class IncomingUpdate(Base):
    """A Telegram update as received, recorded before it is processed."""

    __tablename__ = "incoming_updates"

    # Telegram's update ids are per bot and repeat (a new token, a week without updates, a
    # restored backup): an id is a duplicate only for the same bot within DEDUP_WINDOW.
    bot_id = Column(BigInteger, primary_key=True, autoincrement=False, default=0,
                    server_default="0")
    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    chat_id = Column(BigInteger, nullable=True, index=True)
    payload = Column(JSON, nullable=True)  # dropped once the update is done
    fingerprint = Column(String(32), nullable=True)  # tells a resent update from a reused id
    status = Column(String(10), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(String(300), nullable=True)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    retry_at = Column(DateTime(timezone=True), nullable=True)
    finished_at = Column(DateTime(timezone=True), nullable=True)


class CallbackToken(Base):
    """Server-side data behind an inline button: Telegram only carries the opaque token."""

    __tablename__ = "callback_tokens"

    token = Column(String(24), primary_key=True)
    chat_id = Column(BigInteger, nullable=False, index=True)
    action = Column(JSON, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class Search(Base):
    """A ranked list of results shown to a founder, paged with buttons."""

    __tablename__ = "searches"

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(BigInteger, nullable=False, index=True)
    topic = Column(String(20), nullable=False)
    filters = Column(JSON, nullable=False, default=dict)
    result_ids = Column(JSON, nullable=False, default=list)
    # What the catalogue had for it: "none", "weak" (only dated or example entries) or "ok";
    # searches without good answers are the demand the catalogue does not meet (gaps report).
    supply = Column(String(6), nullable=False, default="ok", index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


TICKET_STATUSES = ("waiting", "claimed", "resolved", "reopened")
OPEN_TICKET_STATUSES = ("waiting", "claimed", "reopened")
PRIORITIES = ("urgent", "high", "normal", "low")  # most pressing first


class Ticket(Base):
    """A founder's conversation with hub staff: the source of truth of the staff desk.

    Created when a founder asks for a person (``request_human``, /human, or the offer after
    repeated misunderstanding) or when a staff member opens one. At most one open ticket per
    founder. ``version`` makes concurrent changes (Telegram and the console) fail instead of
    overwriting each other.
    """

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    founder_id = Column(BigInteger, nullable=False, index=True)
    founder_chat_id = Column(BigInteger, nullable=False)
    founder_name = Column(String(120), nullable=True)
    language = Column(String(5), nullable=False)
    topic = Column(String(20), nullable=True)
    entities = Column(JSON, nullable=False, default=dict)  # country, sector, funding_type
    reason = Column(String(20), nullable=False)  # request_human, fallback, staff
    last_message = Column(Text, nullable=True)
    priority = Column(String(10), nullable=False, default="normal", index=True)
    status = Column(String(10), nullable=False, default="waiting", index=True)
    assignee_id = Column(BigInteger, ForeignKey("staff.user_id"), nullable=True, index=True)
    opened_by = Column(BigInteger, nullable=True)  # staff who opened it for the founder
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    first_reply_at = Column(DateTime(timezone=True), nullable=True)
    last_reply_at = Column(DateTime(timezone=True), nullable=True)
    resolved_at = Column(DateTime(timezone=True), nullable=True)
    reopened_at = Column(DateTime(timezone=True), nullable=True)
    first_response_due = Column(DateTime(timezone=True), nullable=False)
    resolution_due = Column(DateTime(timezone=True), nullable=False)
    alerts_sent = Column(JSON, nullable=False, default=list)  # e.g. "first_response.at_risk"
    rating = Column(Integer, nullable=True)
    rated_at = Column(DateTime(timezone=True), nullable=True)
    announced_at = Column(DateTime(timezone=True), nullable=True)  # posted to the staff group
    card_message_id = Column(BigInteger, nullable=True)  # the card in the staff group
    founder_blocked_at = Column(DateTime(timezone=True), nullable=True)
    version = Column(Integer, nullable=False, default=1)

    messages = relationship("TicketMessage", back_populates="ticket", lazy="selectin",
                            order_by="TicketMessage.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        """Whether staff still have to act on the ticket."""
        return self.status in OPEN_TICKET_STATUSES


class TicketMessage(Base):
    """One line of a ticket's transcript: bot and founder turns before the handoff, then every
    message during it (founder, staff) and staff's internal notes, which the founder never sees.
    """

    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                       index=True)
    author = Column(String(10), nullable=False)  # founder, bot, staff, note
    staff_id = Column(BigInteger, nullable=True)
    text = Column(Text, nullable=False)
    before_handoff = Column(Boolean, nullable=False, default=False)
    delivery = Column(String(10), nullable=True)  # staff replies: pending, sent, blocked
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="messages")


class Staff(Base):
    """A registered member of hub staff: only they may see or act on tickets."""

    __tablename__ = "staff"

    user_id = Column(BigInteger, primary_key=True, autoincrement=False)  # Telegram user id
    name = Column(String(120), nullable=False)
    languages = Column(JSON, nullable=False, default=list)  # first one: their interface language
    active = Column(Boolean, nullable=False, default=True)
    token_hash = Column(String(64), nullable=True, unique=True)  # console token, SHA-256
    token_issued_at = Column(DateTime(timezone=True), nullable=True)
    can_edit_catalogue = Column(Boolean, nullable=False, default=False)
    current_ticket_id = Column(Integer, nullable=True)  # where their private chat replies go
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AuditEntry(Base):
    """Every desk action, allowed or refused, with who did it and through which channel."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_id = Column(BigInteger, nullable=True, index=True)  # Telegram user id, None: system
    channel = Column(String(10), nullable=False)  # telegram, console, cli, system
    action = Column(String(30), nullable=False)
    ticket_id = Column(Integer, nullable=True, index=True)
    outcome = Column(String(10), nullable=False)  # ok, refused
    detail = Column(JSON, nullable=False, default=dict)


class OutboxMessage(Base):
    """Something the Telegram adapter must deliver: a Telegram message or edit, or events to
    append to a Rasa conversation. Written in the same transaction as the change it reports,
    by whichever process made it (adapter, action server, console)."""

    __tablename__ = "desk_outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, nullable=True, index=True)
    target = Column(String(10), nullable=False)  # telegram, rasa
    chat_id = Column(BigInteger, nullable=True)  # telegram: the chat
    conversation_id = Column(String(40), nullable=True)  # rasa: the sender id
    payload = Column(JSON, nullable=False)
    status = Column(String(10), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(String(300), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    retry_at = Column(DateTime(timezone=True), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)


class ConsoleSession(Base):
    """A signed-in browser of the staff console (the cookie holds the secret, we its hash)."""

    __tablename__ = "console_sessions"

    id_hash = Column(String(64), primary_key=True)
    staff_id = Column(BigInteger, ForeignKey("staff.user_id", ondelete="CASCADE"),
                      nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    language = Column(String(5), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)


REPORT_REASONS = ("wrong", "outdated", "broken_link", "other")


class ResourceReport(Base):
    """A founder's "report a problem" on a result card: it lands in the catalogue desk."""

    __tablename__ = "resource_reports"

    id = Column(Integer, primary_key=True, autoincrement=True)
    resource_id = Column(String(120), ForeignKey("resources.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    user_id = Column(BigInteger, nullable=False, index=True)
    reason = Column(String(12), nullable=False)  # REPORT_REASONS
    text = Column(Text, nullable=True)  # "other": the founder's words
    status = Column(String(10), nullable=False, default="open", index=True)  # open, closed
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    closed_by = Column(BigInteger, nullable=True)


class BotReply(Base):
    """A reply rendered for one update, stored before it is sent: a retried update whose
    replies exist is answered from here, not by Rasa again (answered exactly once)."""

    __tablename__ = "bot_replies"

    bot_id = Column(BigInteger, primary_key=True, autoincrement=False, default=0,
                    server_default="0")
    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    seq = Column(Integer, primary_key=True, autoincrement=False)
    chat_id = Column(BigInteger, nullable=False)
    text = Column(Text, nullable=False)
    markup = Column(JSON, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True)


__all__ = [
    "BotReply",
    "AuditEntry",
    "Base",
    "CallbackToken",
    "ConsoleSession",
    "Founder",
    "IncomingUpdate",
    "OutboxMessage",
    "Resource",
    "ResourceReport",
    "ResourceText",
    "Search",
    "Staff",
    "Ticket",
    "TicketMessage",
]
