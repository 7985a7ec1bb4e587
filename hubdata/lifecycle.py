"""When a catalogue entry may be offered to founders, and when staff must check it again.

- An event is upcoming until its last day; after that it is over (a past edition).
- A call (``opens_on``/``deadline``) is open until its deadline; it is "opening soon" before
  ``opens_on``. A closed call is never offered as open.
- ``retired`` entries are never offered.
- Review: an event is due once it has ended, a call once its deadline has passed, everything
  else ``review_months`` (default: the settings' ``REVIEW_MONTHS``, 12) after it was last
  verified; an entry never verified is due at once.
"""

from __future__ import annotations

from datetime import date

from hubdata.models import Resource

DEFAULT_REVIEW_MONTHS = 12
# Offered first: a source says it holds now, then true as of a date, then unsourced.
STATUS_RANK = {"current": 0, "dated": 1, "example": 2, "retired": 3}


def last_day(resource: Resource) -> date | None:
    """The last day an event runs or a call accepts applications, if known."""
    if resource.kind == "event":
        return resource.ends_on or resource.starts_on
    return resource.deadline


def is_over(resource: Resource, today: date) -> bool:
    """Whether the event has ended or the call's deadline has passed."""
    end = last_day(resource)
    return end is not None and end < today


def is_offered(resource: Resource, today: date, past_editions: bool = False) -> bool:
    """Whether founders may be shown ``resource`` today.

    ``past_editions``: the founder asked about earlier editions of events, which are then shown
    (as past) while closed calls and retired entries stay hidden.
    """
    if resource.status == "retired":
        return False
    if resource.kind == "event" and past_editions:
        return True
    return not is_over(resource, today)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due_on(resource: Resource, default_months: int = DEFAULT_REVIEW_MONTHS) -> date | None:
    """The day staff should check ``resource`` again; None for a retired entry."""
    if resource.status == "retired":
        return None
    if resource.verified_on is None:
        return date.min
    periodic = add_months(resource.verified_on, resource.review_months or default_months)
    end = last_day(resource)
    if end is not None:
        # An event or a call needs a look once it is over (retire it, or add the next edition).
        return min(periodic, end + _ONE_DAY)
    return periodic


def is_due(resource: Resource, today: date, default_months: int = DEFAULT_REVIEW_MONTHS) -> bool:
    """Whether ``resource`` is due for review on ``today``."""
    due = review_due_on(resource, default_months)
    return due is not None and due <= today


def rank_key(resource: Resource) -> int:
    """Sort key of the status: current before dated before example."""
    return STATUS_RANK.get(resource.status, len(STATUS_RANK))


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
