"""Sparse features for ITU's own names (``data/gazetteer.yml``): which intents they signal.

A founder who asks about "GSR", "ВВУИО" or "ITU学院" means events or training, though nothing
else in the message says so. For each message this featurizer finds the gazetteer's names
with the lexicon's matching and sets one column per intent that a name found signals. The
columns (the gazetteer's intents at training time) are kept with the model, so a model keeps
working when the gazetteer changes; a new name counts from the next training on.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from hubdata import gazetteer
from hubdata.lexicon.entries import ITU_NAME
from hubdata.lexicon.matching import find_entities

COLUMNS_FILE = "columns.json"


def intents_named(text: str) -> set[str]:
    """The intents that the ITU names in ``text`` signal."""
    return {intent for m in find_entities(text, names=True)
            if m.entity == ITU_NAME and (intent := gazetteer.intent_of(m.value))}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class GazetteerFeaturizer(SparseFeaturizer, GraphComponent):
    """One sentence-level column per intent that the gazetteer's names signal."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return SparseFeaturizer.get_default_config()

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage,
                 resource: Resource, columns: list[str] | None = None) -> None:
        """A featurizer with the columns it was trained with (none before training)."""
        super().__init__(name, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self.columns = list(columns or [])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GazetteerFeaturizer:
        """A new, untrained featurizer."""
        return cls(config, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> GazetteerFeaturizer:
        """The featurizer with the columns saved in training."""
        try:
            with model_storage.read_from(resource) as directory:
                columns = json.loads((directory / COLUMNS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            columns = []
        return cls(config, execution_context.node_name, model_storage, resource, columns)

    def train(self, training_data: TrainingData) -> Resource:
        """Fix the columns: the gazetteer's intents, sorted; persist them."""
        self.columns = sorted({name.intent for name in gazetteer.names()})
        with self._model_storage.write_to(self._resource) as directory:
            (directory / COLUMNS_FILE).write_text(json.dumps(self.columns), encoding="utf-8")
        return self._resource

    def _features(self, text: str) -> scipy.sparse.coo_matrix:
        named = intents_named(text)
        row = np.array([1.0 if c in named else 0.0 for c in self.columns], np.float32)
        return scipy.sparse.coo_matrix(row.reshape(1, -1))

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the gazetteer columns to each message with text (nothing before training)."""
        if not self.columns:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.add_features(Features(self._features(text), FEATURE_TYPE_SENTENCE,
                                              TEXT, self._identifier))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example."""
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate."""
