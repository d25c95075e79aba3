"""The intent classifier reads new wording of what it was taught, keeps what it learnt
across a save and a load, and ranks its guesses best first."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.tfidf_intent_classifier import TfidfIntentClassifier

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey", "hiya"],
    "start_checkin": [
        "start my check-in",
        "log my symptoms",
        "I want to do today's check in",
        "record how I feel today",
        "begin the daily check-in",
    ],
    "export_data": [
        "download my data",
        "export my check-ins",
        "a report for my doctor",
        "send me a copy of my records",
        "can I get my data as a file",
    ],
}


def _training_data() -> TrainingData:
    return TrainingData(
        [
            Message(data={"text": text, "intent": intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )


CONTEXT = ExecutionContext(GraphSchema({}), "test")


def _trained(storage: LocalModelStorage, **config: object) -> TfidfIntentClassifier:
    classifier = TfidfIntentClassifier.create(config, storage, Resource("intents"), CONTEXT)
    classifier.train(_training_data())
    return classifier


def _parse(classifier: TfidfIntentClassifier, text: str) -> Message:
    message = Message(data={"text": text})
    classifier.process([message])
    return message


def test_it_reads_new_wording_of_an_intent_it_was_taught(tmp_path: Path) -> None:
    classifier = _trained(LocalModelStorage(tmp_path))

    assert _parse(classifier, "could I export my data for my GP").get("intent")["name"] == (
        "export_data"
    )
    assert _parse(classifier, "let's log today's symptoms").get("intent")["name"] == (
        "start_checkin"
    )


def test_what_it_learnt_survives_a_save_and_a_load(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    trained = _trained(storage)

    loaded = TfidfIntentClassifier.load({}, storage, Resource("intents"), CONTEXT)

    text = "hello, good evening"
    assert _parse(loaded, text).get("intent") == _parse(trained, text).get("intent")


def test_its_ranking_is_best_first_and_no_longer_than_configured(tmp_path: Path) -> None:
    classifier = _trained(LocalModelStorage(tmp_path), ranking_length=2)

    message = _parse(classifier, "hi")
    ranking = message.get("intent_ranking")
    assert len(ranking) == 2
    assert ranking[0] == message.get("intent")
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]


def test_an_untrained_classifier_leaves_the_message_alone(tmp_path: Path) -> None:
    classifier = TfidfIntentClassifier.create(
        {}, LocalModelStorage(tmp_path), Resource("intents"), CONTEXT
    )
    classifier.train(TrainingData([]))
    assert _parse(classifier, "hello").get("intent") is None
