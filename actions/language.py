"""A founder asks, in words, to be answered in another language; a message in a language we do
not serve is told which ones we do."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action

from actions import runtime
from actions.base import DatabaseAction, intent_button, say
from actions.choices import topic_buttons
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


class ActionOutOfScope(Action):
    """Out of scope: what the bot can do, with the topics; for a message confidently in a
    language we do not serve (Swahili, Hindi...), also which languages we speak."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_out_of_scope"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        """Reply; no database needed, so this works while the database is down."""
        language = tracker.latest_message.get("language") or {}
        message: dict[str, Any] = {"msgid": "out_of_scope", "buttons": topic_buttons()}
        if isinstance(language, dict) and language.get("other"):
            message["notes"] = [{"msgid": "language.served"}]
        dispatcher.utter_message(json_message=message)
        return []
