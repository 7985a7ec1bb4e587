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
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

KINDS = ("funding", "mentor", "hub", "event", "training", "partner", "membership")
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
    amount = Column(String(300), nullable=True)
    location = Column(String(200), nullable=True)
    starts_on = Column(Date, nullable=True)
    ends_on = Column(Date, nullable=True)
    url = Column(String(500), nullable=False)
    source_url = Column(String(500), nullable=False)
    verified_on = Column(Date, nullable=False)
    is_example = Column(Boolean, nullable=False, default=False)

    texts = relationship(
        "ResourceText", back_populates="resource", cascade="all, delete-orphan", lazy="selectin"
    )

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
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class IncomingUpdate(Base):
    """A Telegram update as received, recorded before it is processed."""

    __tablename__ = "incoming_updates"

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    chat_id = Column(BigInteger, nullable=True, index=True)
    payload = Column(JSON, nullable=False)
    status = Column(String(10), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    error = Column(String(300), nullable=True)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
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
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Escalation(Base):
    """A founder's request for a person (the staff desk builds on this)."""

    __tablename__ = "escalations"

    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(BigInteger, nullable=False, index=True)
    language = Column(String(5), nullable=False)
    topic = Column(String(20), nullable=True)
    reason = Column(String(20), nullable=False)
    last_message = Column(Text, nullable=True)
    status = Column(String(10), nullable=False, default="waiting", index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


__all__ = [
    "Base",
    "CallbackToken",
    "Escalation",
    "Founder",
    "IncomingUpdate",
    "Resource",
    "ResourceText",
    "Search",
]
