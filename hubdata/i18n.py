"""Render message ids in the founder's language from the Babel catalogs under locales/.

Message ids are symbolic (``results.found``); the English catalog holds the English text like
every other language's catalog. Parameters named ``country``, ``sector``, ``funding_type``,
``topic``, ``seeking``, ``language`` and ``stage`` are localised here too, so callers pass codes,
not prose.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.support import NullTranslations, Translations

from hubdata.logs import personal
from hubdata.settings import DEFAULT_LANGUAGE, PROJECT_ROOT, SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "messages"
_CODE_PARAMS = ("sector", "funding_type", "topic", "stage", "priority", "ticket_status",
                "seeking")
# A second parameter of the same kind in one message ("funding or a mentor?").
_SAME_KIND = {"seeking_other": "seeking"}


class MissingCatalog(RuntimeError):
    """A compiled catalog (.mo) is missing: run ``make catalogs``."""


def language_name(code: str) -> str:
    """A language's name in that language (its endonym), e.g. "français"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


class _Params(dict):
    """format_map mapping that leaves unknown placeholders visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalogs:
    """The compiled catalogs of every supported language."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, strict: bool = True) -> None:
        """Load every language's compiled catalog; raise MissingCatalog if one is absent."""
        self._translations: dict[str, NullTranslations] = {}
        for lang in SUPPORTED_LANGUAGES:
            mo = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo.exists():
                if strict:
                    raise MissingCatalog(str(mo))
                self._translations[lang] = NullTranslations()
                continue
            self._translations[lang] = Translations.load(str(locales_dir), [lang], DOMAIN)

    def gettext(self, lang: str, msgid: str) -> str:
        """The text of ``msgid`` in ``lang``, falling back to English, then to the id."""
        lang = lang if lang in self._translations else DEFAULT_LANGUAGE
        text = self._translations[lang].gettext(msgid)
        if text == msgid and lang != DEFAULT_LANGUAGE:
            text = self._translations[DEFAULT_LANGUAGE].gettext(msgid)
        if text == msgid:
            logger.warning("no text for message id %r", msgid)
        return text

    def localise_param(self, lang: str, name: str, value: Any) -> Any:
        """Turn a code parameter into words in ``lang``."""
        if value is None:
            return self.gettext(lang, "profile.unset")
        if name == "country":
            from hubdata import geo

            try:
                return geo.area_name(str(value), lang)
            except KeyError:  # not a code (an NLU model that does not normalise): as given
                logger.warning("%r is not an area code; shown as given", personal(value))
                return str(value)
        if name in _CODE_PARAMS or name in _SAME_KIND:
            msgid = f"{_SAME_KIND.get(name, name)}.{value}"
            text = self.gettext(lang, msgid)
            return str(value) if text == msgid else text  # an unknown code: as given
        if name == "language":
            return language_name(str(value))
        if name == "filters":
            parts = [str(self.localise_param(lang, k, v)) for k, v in dict(value).items() if v]
            return " · ".join(parts) if parts else self.gettext(lang, "filters.none")
        if isinstance(value, date):
            return format_date(value, format="medium", locale=lang)
        return value

    def render(self, lang: str, msgid: str, params: Mapping[str, Any] | None = None) -> str:
        """The text of ``msgid`` in ``lang`` with its parameters filled in and localised."""
        template = self.gettext(lang, msgid)
        if not params:
            return template
        values = _Params({k: self.localise_param(lang, k, v) for k, v in params.items()})
        return string.Formatter().vformat(template, (), values)
