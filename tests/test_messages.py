"""Every user-facing text exists, translated and not fuzzy, in all seven languages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.command_menus import FOUNDER_COMMANDS, STAFF_COMMANDS
from hubdata.catalog import TOPIC_KINDS
from hubdata.desk.queries import AGE_FILTERS
from hubdata.i18n import Catalogs
from hubdata.models import FUNDING_TYPES, PRIORITIES, SECTORS, STAGES, TICKET_STATUSES
from hubdata.settings import PROJECT_ROOT, SUPPORTED_LANGUAGES

LOCALES = PROJECT_ROOT / "locales"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
ID_PREFIXES = ("error", "results", "ask", "button", "fallback", "escalation", "language",
               "profile", "card", "page", "affirm", "deny", "topic", "sector", "stage",
               "funding_type", "filters", "command", "help", "desk", "console", "priority",
               "ticket_status", "audit", "channel", "faq", "report", "gaps", "clarify", "seeking")
DOTTED_ID = re.compile(r"""["']((?:""" + "|".join(ID_PREFIXES) + r""")\.[a-z_]+)["']""")
SAY_ID = re.compile(r"""(?:say|topic_reply|render)\([^()]*?,\s*"([a-z_.]+)"[,)]""")
DOMAIN_ID = re.compile(r"msgid:\s*([a-z_.]+)")


def load(lang: str) -> Catalog:
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as stream:
        return read_po(stream, locale=lang)


def ids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


def referenced_ids() -> set[str]:
    """Message ids named in the code and the domain, plus the ones built from code lists."""
    found: set[str] = set()
    for path in [*Path(PROJECT_ROOT, "bot").rglob("*.py"), *Path(PROJECT_ROOT, "actions").rglob(
            "*.py"), PROJECT_ROOT / "hubdata" / "i18n.py",
                 *Path(PROJECT_ROOT, "hubdata", "desk").rglob("*.py"),
                 *Path(PROJECT_ROOT, "console").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        found |= set(DOTTED_ID.findall(source)) | set(SAY_ID.findall(source))
    found |= set(DOMAIN_ID.findall((PROJECT_ROOT / "nlu" / "domain.yml").read_text()))
    found |= {f"topic.{t}" for t in TOPIC_KINDS} | {f"sector.{s}" for s in SECTORS}
    found |= {f"stage.{s}" for s in STAGES} | {f"funding_type.{f}" for f in FUNDING_TYPES}
    found |= {f"command.{c}" for c in (*FOUNDER_COMMANDS, *STAFF_COMMANDS)}
    found |= {f"profile.choose_{f}" for f in ("country", "sector", "stage")}
    found |= {f"priority.{p}" for p in PRIORITIES} | {f"ticket_status.{s}" for s in TICKET_STATUSES}
    found |= {f"console.age_{a}" for a in AGE_FILTERS}
    return found


def test_every_referenced_message_id_has_english_text() -> None:
    missing = referenced_ids() - ids(load("en"))
    assert not missing, f"message ids used in code but missing from the catalogs: {missing}"


def test_reference_scan_finds_ids_so_the_check_above_can_fail() -> None:
    found = referenced_ids()
    assert {"results.found", "error.nlu_unavailable", "greet", "escalation.created",
            "desk.claimed", "console.sign_in", "desk.sla_first_response_breached"} <= found


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_catalog_is_complete_and_not_fuzzy(lang: str) -> None:
    english, catalog = load("en"), load(lang)
    assert ids(catalog) == ids(english), f"{lang}: ids differ from English"
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{lang}: {message.id} is not translated"
        assert not message.fuzzy, f"{lang}: {message.id} is fuzzy"
        english_params = set(PLACEHOLDER.findall(english[message.id].string))
        assert set(PLACEHOLDER.findall(message.string)) == english_params, (
            f"{lang}: {message.id} has other placeholders than English")


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_message_renders_with_localised_parameters(lang: str) -> None:
    catalogs = Catalogs()
    params = {"topic": "funding", "country": "KE", "sector": "agritech", "count": 3,
              "filters": {"country": "KE", "funding_type": "grant"}, "language": lang,
              "stage": "early", "amount": "USD 5,000", "location": "Nairobi", "url": "https://x",
              "date": date(2026, 11, 30), "page": 1, "pages": 2,
              "start": date(2026, 7, 6),
              "end": date(2026, 7, 10), "field": "country",
              "ticket": 12, "priority": "high", "ticket_status": "claimed", "name": "Amina",
              "rating": 5, "text": "Hello", "minutes": 15, "founder": 4242,
              "year": "2021", "days": "85 days", "title": "WSIS Forum", "number": 2,
              "first": "2026-W42", "last": "2026-W49", "weeks": 8,
              "conversation_days": 180, "ticket_days": 365,
              "seeking": "funding", "seeking_other": "mentor"}
    for msgid in ids(load("en")):
        text = catalogs.render(lang, msgid, params)
        assert "{" not in text, f"{lang}: {msgid} left a placeholder: {text}"
        assert text != msgid
    kenya = catalogs.render(lang, "button.country", {"country": "KE"})
    assert kenya == {"en": "Kenya", "fr": "Kenya", "es": "Kenia", "ar": "كينيا", "ru": "Кения",
                     "zh": "肯尼亚", "pt": "Quênia"}[lang]


def test_a_value_that_is_not_a_code_is_shown_as_given_not_an_error() -> None:
    """An NLU model that does not normalise entities (the default config's DIET, say) sends
    "ГРУЗИЯ" for Georgia or "clean" for a sector: the reply shows the words, never fails."""
    catalogs = Catalogs()
    assert catalogs.render("ru", "button.country", {"country": "ГРУЗИЯ"}) == "ГРУЗИЯ"
    filters = catalogs.localise_param("fr", "filters", {"country": "لبنان", "sector": "clean"})
    assert filters == "لبنان · clean"
    assert catalogs.localise_param("fr", "sector", "agritech") != "agritech"  # a code: words
