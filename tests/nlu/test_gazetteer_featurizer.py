"""The GazetteerFeaturizer: one column per intent its names signal, kept with the model."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.gazetteer import GazetteerFeaturizer


def _columns(message: Message) -> list[float]:
    (features,) = [f for f in message.features if f.type == "sentence"]
    return features.features.toarray().ravel().tolist()


def test_names_set_their_intents_column_and_the_columns_survive_loading(
        tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test-model")
    resource = Resource("gazetteer")
    untrained = GazetteerFeaturizer.create({}, storage, resource, context)
    untrained.process([before := Message(data={"text": "GSR"})])
    assert before.features == []  # no columns before training
    untrained.train(TrainingData([]))

    loaded = GazetteerFeaturizer.load({}, storage, resource, context)
    assert loaded.columns == sorted(set(loaded.columns)) and "ask_events" in loaded.columns
    messages = [Message(data={"text": t}) for t in
                ("Форум ВВУИО в этом году?", "cours de l'Académie de l'UIT", "hello")]
    loaded.process(messages)
    events, training = (loaded.columns.index(i) for i in ("ask_events", "ask_training"))
    assert [_columns(m)[events] for m in messages] == [1.0, 0.0, 0.0]
    assert [_columns(m)[training] for m in messages] == [0.0, 1.0, 0.0]
    assert sum(_columns(messages[2])) == 0.0
