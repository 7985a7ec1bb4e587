"""When entries may be offered and when they are due for review (hubdata.lifecycle), and how
dates, day counts and amounts are written in each language (hubdata.formatting)."""

from __future__ import annotations

from datetime import date

import pytest

from hubdata import formatting, lifecycle
from hubdata.models import Resource
from hubdata.settings import SUPPORTED_LANGUAGES


def entry(**fields: object) -> Resource:
    values: dict[str, object] = {"id": "x", "kind": "hub", "status": "current",
                                 "verified_on": date(2026, 1, 31)}
    values.update(fields)
    return Resource(**values)


def test_review_interval_defaults_to_twelve_months_and_is_configurable() -> None:
    assert lifecycle.review_due_on(entry()) == date(2027, 1, 31)
    assert lifecycle.review_due_on(entry(review_months=1)) == date(2026, 2, 28)  # clamped
    assert lifecycle.review_due_on(entry(), default_months=6) == date(2026, 7, 31)
    assert not lifecycle.is_due(entry(), date(2027, 1, 30))
    assert lifecycle.is_due(entry(), date(2027, 1, 31))


def test_events_are_due_when_over_calls_at_their_deadline_and_unverified_at_once() -> None:
    event = entry(kind="event", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 3))
    assert lifecycle.review_due_on(event) == date(2026, 3, 4)
    call = entry(kind="funding", deadline=date(2026, 6, 30))
    assert lifecycle.review_due_on(call) == date(2026, 7, 1)
    assert lifecycle.is_due(entry(status="example", verified_on=None), date(2026, 1, 1))
    assert lifecycle.review_due_on(entry(status="retired")) is None


def test_retired_entries_closed_calls_and_past_events_are_not_offered() -> None:
    today = date(2026, 12, 6)
    assert lifecycle.is_offered(entry(), today)
    assert not lifecycle.is_offered(entry(status="retired"), today)
    assert not lifecycle.is_offered(entry(kind="funding", deadline=date(2026, 12, 5)), today)
    assert lifecycle.is_offered(entry(kind="funding", deadline=today), today)
    past = entry(kind="event", starts_on=date(2026, 7, 6), ends_on=date(2026, 7, 10))
    assert not lifecycle.is_offered(past, today)
    assert lifecycle.is_offered(past, today, past_editions=True)
    assert not lifecycle.is_offered(entry(kind="event", status="retired"), today, True)
    # a closed call is not an "edition": asking about past events does not bring it back
    assert not lifecycle.is_offered(entry(kind="funding", deadline=date(2026, 1, 1)), today,
                                    past_editions=True)


def test_status_ranking() -> None:
    order = sorted(("example", "retired", "current", "dated"),
                   key=lambda s: lifecycle.rank_key(entry(status=s)))
    assert order == ["current", "dated", "example", "retired"]


EXPECTED = {  # 6,800 USD; 3,975 CHF; 85 days; 1 March 2027 (spaces: see ``plain``)
    "en": ("$6,800", "CHF3,975", "85 days", "March 1, 2027"),
    "fr": ("6 800 $US", "3 975 CHF", "85 jours", "1 mars 2027"),
    "es": ("6.800 US$", "3.975 CHF", "85 días", "1 de marzo de 2027"),
    "ar": ("6,800 US$", "3,975 CHF", "85 يومًا", "1 مارس 2027"),
    "ru": ("6 800 $", "3 975 CHF", "85 дней", "1 марта 2027 г."),
    "zh": ("US$6,800", "CHF3,975", "85天", "2027年3月1日"),
    "pt": ("US$ 6.800", "CHF 3.975", "85 dias", "1 de março de 2027"),
}


def plain(text: str) -> str:
    """CLDR's no-break and narrow spaces as spaces, without the right-to-left mark."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u200f", "")


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_amounts_days_and_dates_follow_the_locale(lang: str) -> None:
    money, chf, days, day = EXPECTED[lang]
    assert plain(formatting.money(6800, "USD", lang)) == money
    assert plain(formatting.money(3975.0, "CHF", lang)) == chf
    assert plain(formatting.days(85, lang)) == days
    assert plain(formatting.long_date(date(2027, 3, 1), lang)) == day


def test_fractions_keep_their_decimals() -> None:
    assert plain(formatting.money(1987.5, "CHF", "fr")) == "1 987,50 CHF"
    assert formatting.money(1987.5, "CHF", "en") == "CHF1,987.50"
