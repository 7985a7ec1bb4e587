"""Founders' "report a problem" on a result card: recorded for the catalogue desk.

A founder may send ``DAILY_LIMIT`` reports in 24 hours; the next one gets one notice, later
ones are ignored until the window has passed. The same open report (founder, entry, reason)
is never recorded twice, and an entry that is gone or retired takes no reports.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hubdata.models import REPORT_REASONS, Founder, Resource, ResourceReport

DAILY_LIMIT = 5
TEXT_CHARS = 500
PENDING_MINUTES = 15  # how long "tell me what is wrong" waits for the founder's text

# Outcomes, each answered with its own message.
RECORDED, DUPLICATE, LIMITED, IGNORED, GONE = "recorded", "duplicate", "limited", "ignored", "gone"
OUTCOME_MESSAGES = {
    RECORDED: "report.thanks",
    DUPLICATE: "report.already",
    LIMITED: "report.limited",
    GONE: "report.gone",
}  # IGNORED: no answer


async def _recent(session: AsyncSession, user_id: int, now: datetime) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(ResourceReport).where(
            ResourceReport.user_id == user_id,
            ResourceReport.created_at >= now - timedelta(days=1))) or 0)


async def reportable(session: AsyncSession, resource_id: str) -> Resource | None:
    """The entry, if it can still be reported on (it exists and is not retired)."""
    resource = await session.get(Resource, resource_id)
    return None if resource is None or resource.status == "retired" else resource


async def check(session: AsyncSession, user_id: int, resource_id: str, reason: str,
                now: datetime) -> str | None:
    """Why a report cannot be taken (an outcome), or None if it can."""
    if reason not in REPORT_REASONS or await reportable(session, resource_id) is None:
        return GONE
    recent = await _recent(session, user_id, now)
    if recent >= DAILY_LIMIT:
        founder = await session.get(Founder, user_id)
        warned = founder is not None and founder.report_limit_noticed_at is not None and \
            _aware(founder.report_limit_noticed_at) >= now - timedelta(days=1)
        if warned:
            return IGNORED
        if founder is not None:
            founder.report_limit_noticed_at = now
        return LIMITED
    if reason != "other" and await session.scalar(
            select(ResourceReport.id).where(
                ResourceReport.user_id == user_id, ResourceReport.resource_id == resource_id,
                ResourceReport.reason == reason, ResourceReport.status == "open").limit(1)):
        return DUPLICATE
    return None


async def record(session: AsyncSession, user_id: int, resource_id: str, reason: str,
                 now: datetime, text: str | None = None) -> str:
    """Record a report unless ``check`` refuses it; returns the outcome."""
    refused = await check(session, user_id, resource_id, reason, now)
    if refused is not None:
        return refused
    clean = " ".join((text or "").split())[:TEXT_CHARS] or None
    session.add(ResourceReport(resource_id=resource_id, user_id=user_id, reason=reason,
                               text=clean, created_at=now))
    await session.flush()
    return RECORDED


def await_text(founder: Founder, resource_id: str, now: datetime) -> None:
    """Remember that the founder's next message is the text of an "other" report."""
    founder.pending_report_id = resource_id
    founder.pending_report_at = now


def take_pending(founder: Founder, now: datetime) -> str | None:
    """The entry a pending "other" report is about (clearing it), if it is still fresh."""
    resource_id, since = founder.pending_report_id, founder.pending_report_at
    founder.pending_report_id = founder.pending_report_at = None
    if resource_id and since and _aware(since) >= now - timedelta(minutes=PENDING_MINUTES):
        return str(resource_id)
    return None


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC here."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
