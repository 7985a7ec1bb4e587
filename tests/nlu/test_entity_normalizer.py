"""Tests of the EntityNormalizer Rasa component: train, persist, load, process."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.entities import EntityNormalizer

TRAINING_DATA = """
version: "3.1"
nlu:
- intent: ask_funding
  examples: |
    - grants in [Keny]{"entity": "country", "value": "KE"} please
    - any grants in [Kenya]{"entity": "country", "value": "KE"}?
    - [9ja]{"entity": "country", "value": "NG"} loans
    - [fintech]{"entity": "sector", "value": "fintech"} loans
    - we do [kilimo]{"entity": "sector", "value": "agritech"}
    - a [stage]{"entity": "stage", "value": "idea"} entity it does not handle
"""


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


def _trained(storage: LocalModelStorage, context: ExecutionContext) -> Resource:
    resource = Resource("entity_normalizer")
    component = EntityNormalizer.create({}, storage, resource, context)
    component.train(RasaYAMLReader().reads(TRAINING_DATA))
    return resource


def test_learns_only_the_forms_the_lexicon_misses(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    resource = _trained(storage, context)
    loaded = EntityNormalizer.load({}, storage, resource, context)
    # "Kenya" and "fintech" are in the lexicon; "stage" is not one of the component's entities.
    assert loaded.learned == [
        ("country", "KE", "Keny"),
        ("country", "NG", "9ja"),
        ("sector", "agritech", "kilimo"),
    ]


def test_process_after_persist_and_load(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    resource = _trained(storage, context)
    component = EntityNormalizer.load({}, storage, resource, context)
    text = "Grants for kilimo apps in keny or Ghana?"
    existing = {"entity": "other", "start": 0, "end": 6, "value": "Grants", "extractor": "X"}
    message = Message(data={"text": text, "entities": [existing]})

    component.process([message])

    entities = message.get("entities")
    assert entities[0] == existing
    assert [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in entities[1:]] == [
        ("funding_type", "grant", "Grants"),
        ("sector", "agritech", "kilimo"),
        ("country", "KE", "keny"),
        ("country", "GH", "Ghana"),
    ]
    assert all(e["extractor"] == "EntityNormalizer" for e in entities[1:])
    assert all(e["confidence_entity"] == 1.0 for e in entities[1:])


def test_untrained_component_uses_the_lexicon_alone(
    storage: LocalModelStorage, context: ExecutionContext
) -> None:
    component = EntityNormalizer.load({}, storage, Resource("never_trained"), context)
    message = Message(data={"text": "в Кении, Keny"})
    component.process([message])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("country", "KE")]
    empty = Message(data={"text": ""})
    component.process([empty])
    assert not empty.get("entities")


def test_a_form_annotated_with_several_values_keeps_the_most_frequent() -> None:
    def example(value: str, text: str) -> Message:
        entity = {"entity": "sector", "start": 4, "end": 10, "value": value}
        return Message(data={"text": text, "intent": "x", "entities": [entity]})

    data = TrainingData(
        [
            example("agritech", "our kilimo app"),
            example("other", "the kilimo thing"),
            example("agritech", "any Kilimo grants?"),
        ]
    )
    assert EntityNormalizer.learn_forms(data, {"sector"}) == [("sector", "agritech", "kilimo")]
    assert EntityNormalizer.learn_forms(data, {"country"}) == []
