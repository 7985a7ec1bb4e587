"""Result cards and direct answers as the founder reads them (bot.render), in every language."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import sessionmaker

from bot import render
from hubdata.db import transaction
from hubdata.i18n import Catalogs
from hubdata.models import Resource, ResourceText
from hubdata.settings import SUPPORTED_LANGUAGES

TODAY = date(2026, 12, 6)
CATALOGS = Catalogs()


def card(lang: str = "en", **fields: object) -> str:
    values: dict[str, object] = {
        "id": "call", "kind": "funding", "funding_type": "grant", "organisation": "Org <Ltd>",
        "areas": ["001"], "url": "https://example.org/call", "status": "current",
        "source_url": "https://example.org/source", "verified_on": date(2026, 12, 1),
    }
    values.update(fields)
    row = Resource(**values)
    row.texts.append(ResourceText(lang="en", title="A <b>call</b>", description="Money & help",
                                  amount="Up to US$6,800 (2026 call)"))
    row.texts.append(ResourceText(lang="fr", title="Un appel", description="De l'argent",
                                  amount="Jusqu'à 6 800 $US (appel 2026)"))
    return render.resource_card(CATALOGS, lang, 1, row, TODAY)


def test_a_card_shows_the_deadline_and_how_far_away_it_is() -> None:
    text = card(deadline=date(2027, 3, 1), amount_value=6800.0, amount_currency="USD")
    assert "Closes March 1, 2027, in 85 days." in text
    assert "Up to $6,800" in text
    assert "Offers: Up to US$6,800 (2026 call)" in text
    assert "Source: https://example.org/source" in text
    # stored texts are escaped: Telegram's HTML parse mode sees no tags of theirs
    assert "A &lt;b&gt;call&lt;/b&gt;" in text and "Org &lt;Ltd&gt;" in text
    assert "Money &amp; help" in text


def test_a_call_that_opens_later_and_one_that_closes_today() -> None:
    assert "Opens January 5, 2027, in 30 days." in card(opens_on=date(2027, 1, 5))
    assert "Closes today (December 6, 2026)." in card(deadline=TODAY)


def test_dated_and_example_entries_say_what_is_known() -> None:
    dated = card(status="dated", as_of=date(2021, 1, 1))
    assert "Last known: 2021." in dated
    example = card(status="example", verified_on=None, source_url=None)
    assert "Example entry" in example or "⚠️" in example
    assert "Source:" not in example  # no check is claimed for an example
    unverified = card(status="example", verified_on=None)
    assert "not verified" in unverified


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_language_formats_dates_days_and_amounts_itself(lang: str) -> None:
    text = card(lang, deadline=date(2027, 3, 1), amount_value=6800.0, amount_currency="USD",
                status="dated", as_of=date(2021, 6, 1))
    expected = {
        "en": ("March 1, 2027", "85 days", "$6,800"),
        "fr": ("1 mars 2027", "85\u00a0jours", "6\u202f800\u00a0$US"),
        "es": ("1 de marzo de 2027", "85 días", "6.800\u00a0US$"),
        "ar": ("1 مارس 2027", "85 يومًا", "6,800\u00a0US$"),
        "ru": ("1 марта 2027\u202fг.", "85 дней", "6\u00a0800\u00a0$"),
        "zh": ("2027年3月1日", "85天", "US$6,800"),
        "pt": ("1 de março de 2027", "85 dias", "US$\u00a06.800"),
    }[lang]
    for part in expected:
        assert part in text, (lang, part, text)
    assert "2021" in text
    if lang == "fr":
        assert "6 800 $US (appel 2026)" in text  # the stored French amount text


async def test_a_page_has_a_report_button_per_card(sessions: sessionmaker) -> None:
    from hubdata import searches

    async with transaction(sessions) as session:
        for rid in ("one", "two"):
            row = Resource(id=rid, kind="hub", organisation="Org", areas=["001"],
                           sectors=["any"], stages=["any"], languages=["en"],
                           url="https://example.org", source_url="https://example.org/s",
                           status="current", verified_on=TODAY)
            row.texts.append(ResourceText(lang="en", title=rid, description="d"))
            session.add(row)
        search_id = await searches.add(session, 5, "hubs", {}, ["one", "two"])
        reply = await render.search_page(session, CATALOGS, "fr", search_id, 0)
    assert reply is not None
    assert [label for label, _ in reply.reports] == ["⚠️ Signaler n° 1", "⚠️ Signaler n° 2"]
    assert [a for _, a in reply.reports] == [{"kind": "report", "resource_id": "one"},
                                             {"kind": "report", "resource_id": "two"}]


async def test_a_stored_answer_is_shown_with_its_source(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        row = Resource(id="faq-x", kind="faq", topic="membership", organisation="ITU",
                       areas=["001"], sectors=["any"], stages=["any"], languages=["en"],
                       url="https://itu.int/fees", source_url="https://itu.int/s",
                       status="dated", as_of=date(2010, 10, 1), verified_on=TODAY)
        row.texts.append(ResourceText(lang="en", title="How much?", description="CHF 3,975"))
        row.texts.append(ResourceText(lang="ar", title="كم؟", description="3975 فرنك"))
        session.add(row)
        await session.flush()
        arabic = await render.stored_answer(session, CATALOGS, "ar", "faq-x")
        missing = await render.stored_answer(session, CATALOGS, "ar", "no-such-answer")
    assert arabic is not None and "كم؟" in arabic.text and "3975 فرنك" in arabic.text
    assert "2010" in arabic.text and "https://itu.int/s" in arabic.text
    assert missing is None
