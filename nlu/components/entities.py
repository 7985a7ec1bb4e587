"""Entity extraction and normalisation with the multilingual lexicon (``hubdata.lexicon``).

``EntityNormalizer`` finds ``country``, ``sector``, ``funding_type`` and ``language`` mentions
and sets their normalised values (``KE``, ``agritech``, ``grant``, ``fr``). At train time it
also learns the annotated surface forms of the training data that the lexicon does not find
(a typo such as "Keny", a slang name), so that they are found afterwards. It needs no
tokenizer: the lexicon does its own script-aware matching on the raw text.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from hubdata.lexicon.entries import ENTITY_VALUES
from hubdata.lexicon.matching import FormIndex, find_entities
from hubdata.lexicon.tokens import fold

logger = logging.getLogger(__name__)

LearnedForm = tuple[str, str, str]  # entity, value, surface form


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class EntityNormalizer(GraphComponent, EntityExtractorMixin):
    """Extracts the four entities with normalised values, plus forms learned in training."""

    FORMS_FILE = "learned_forms.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Learn forms for these entities only (the lexicon's four by default)."""
        return {"entities": sorted(("country", *ENTITY_VALUES))}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        learned: list[LearnedForm] | None = None,
    ) -> None:
        """Create the component with already learned forms (none for a new one)."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.learned = sorted(learned or [])
        self._index = FormIndex(self.learned) if self.learned else None
        # Build the gazetteer's cached indexes now, at model load, not in the first parse.
        find_entities("grants for women in Kenya", extra=self._index)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityNormalizer:
        """Create an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityNormalizer:
        """Load the learned forms persisted by ``train``; none if there are none."""
        try:
            with model_storage.read_from(resource) as directory:
                raw = json.loads((directory / cls.FORMS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("No learned entity forms in %s; using the lexicon alone.", resource.name)
            raw = []
        learned = [(f["entity"], f["value"], f["text"]) for f in raw]
        return cls(config, model_storage, resource, learned)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the annotated forms the lexicon misses, and persist them."""
        self.learned = self.learn_forms(training_data, set(self._config["entities"]))
        self._index = FormIndex(self.learned) if self.learned else None
        with self._model_storage.write_to(self._resource) as directory:
            forms = [{"entity": e, "value": v, "text": t} for e, v, t in self.learned]
            (directory / self.FORMS_FILE).write_text(
                json.dumps(forms, ensure_ascii=False, indent=1), encoding="utf-8"
            )
        return self._resource

    @staticmethod
    def learn_forms(training_data: TrainingData, entities: set[str]) -> list[LearnedForm]:
        """Return the annotated (entity, value, surface) forms that the lexicon does not find.

        A form annotated with several values keeps the most frequent one.
        """
        votes: dict[tuple[str, str], Counter[str]] = {}
        spellings: dict[tuple[str, str], str] = {}
        for example in training_data.entity_examples:
            text = example.get(TEXT) or ""
            found = find_entities(text)
            for annotation in example.get(ENTITIES) or []:
                entity = annotation[ENTITY_ATTRIBUTE_TYPE]
                start, end = annotation[ENTITY_ATTRIBUTE_START], annotation[ENTITY_ATTRIBUTE_END]
                surface = text[start:end].strip()
                value = str(annotation.get(ENTITY_ATTRIBUTE_VALUE) or surface)
                if entity not in entities or not surface:
                    continue
                if any(
                    (m.entity, m.value) == (entity, value) and m.start < end and start < m.end
                    for m in found
                ):
                    continue
                key = (entity, fold(surface))
                votes.setdefault(key, Counter())[value] += 1
                spellings.setdefault(key, surface)
        return sorted(
            (entity, max(counter, key=lambda v: (counter[v], v)), spellings[(entity, folded)])
            for (entity, folded), counter in votes.items()
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Append the entities found in each message to its ``entities``."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            extracted = [
                {
                    ENTITY_ATTRIBUTE_TYPE: match.entity,
                    ENTITY_ATTRIBUTE_START: match.start,
                    ENTITY_ATTRIBUTE_END: match.end,
                    ENTITY_ATTRIBUTE_VALUE: match.value,
                    ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
                }
                for match in find_entities(text, extra=self._index)
            ]
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(extracted),
                add_to_output=True,
            )
        return messages
