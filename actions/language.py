"""A founder asks, in words, to be answered in another language."""

from __future__ import annotations

from actions import runtime
from actions.base import DatabaseAction, intent_button, say
from hubdata import founders
from hubdata.settings import SUPPORTED_LANGUAGES


class ActionChangeLanguage(DatabaseAction):
    """Remember the founder's language choice, or offer the choices."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_change_language"

    async def act(self, dispatcher, tracker, domain, session):  # type: ignore[no-untyped-def]
        """Set the language named in the message, or ask which one."""
        language = runtime.entity_values(tracker).get("language")
        if language not in SUPPORTED_LANGUAGES:
            buttons = [
                intent_button("language.name", "change_language", {"language": code}, language=code)
                for code in SUPPORTED_LANGUAGES
            ]
            say(dispatcher, "language.choose", buttons)
            return []
        await founders.set_language(session, runtime.user_id(tracker), language)
        # The adapter renders this in the new language: it reads the choice after the turn.
        say(dispatcher, "language.changed", language=language)
        return []
