"""Dates, day counts and amounts written as each locale writes them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from babel.units import format_unit


def long_date(day: date, lang: str) -> str:
    """"1 March 2027" in ``lang`` ("1 mars 2027", "2027年3月1日")."""
    return format_date(day, format="long", locale=lang)


def days(count: int, lang: str) -> str:
    """"85 days" in ``lang``, with the locale's plural forms and digits."""
    return format_unit(count, "duration-day", length="long", locale=lang)


def money(value: float, currency: str, lang: str) -> str:
    """An amount in ``currency`` ("50 000 $US" in French); whole amounts without decimals."""
    if value != int(value):
        return format_currency(value, currency, locale=lang)
    pattern = Locale.parse(lang).currency_formats["standard"].pattern
    whole = pattern.split(";")[0].replace(".00", "").replace(".##", "")
    return format_currency(int(value), currency, format=whole, locale=lang, currency_digits=False)
