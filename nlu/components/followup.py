"""Marks elliptical follow-ups ("and in Uganda?", "и в Кении?") as needing context.

Such a message names only a country, sector or funding type. Its intent cannot be told from the
message alone, so this component sets the intent to ``nlu_fallback``; the fallback action then
continues the conversation's last topic with the new details.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from hubdata.followups import is_follow_up

FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FollowUpDetector(GraphComponent):
    """Turns entity-only messages into ``nlu_fallback`` so that context decides the topic."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FollowUpDetector:
        """Creates a new component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Mark follow-ups."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            if not is_follow_up(text, message.get(ENTITIES) or []):
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r["name"] != FALLBACK]
            message.set(INTENT, {"name": FALLBACK, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": FALLBACK, "confidence": 1.0}, *ranking],
                        add_to_output=True)
        return messages
