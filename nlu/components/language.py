"""Adds the language a message is written in to the parse result (``language``)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from hubdata import langid

LANGUAGE = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Sets ``language`` = {"code": ..., "confidence": ..., "other": ...}: ``code`` is one of
    ours or None when unsure; ``other`` names a language we do not serve when the message is
    confidently in one ("sw" for Swahili), so the bot can say which languages it speaks."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates a new component, with the language model loaded now rather than in the
        first parse (a model loaded into a running server answers at once)."""
        langid.detect("warming up the language identification model")
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training does not need the language."""
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Detect the language of each message."""
        for message in messages:
            detection = langid.detect(message.get(TEXT) or "")
            message.set(
                LANGUAGE,
                {"code": detection.language, "confidence": round(detection.confidence, 3),
                 "other": detection.other},
                add_to_output=True,
            )
        return messages
