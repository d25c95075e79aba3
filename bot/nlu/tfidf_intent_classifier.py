"""TfidfIntentClassifier: Cadence's intent classifier, a logistic regression on TF-IDF word
and character n-grams of the message text and on its sentence vector
(bot/nlu/sentence_vectors.py), which carries meaning to wordings the n-grams never saw.

Measured against DIET on the same training data (bench/results/nlu_pipelines.md): it
generalises better to wording nobody here wrote, and trains in seconds. DIET stays in the
pipeline for entities only (glossary terms, countries). Like the safety classifier
(bot/nlu/safety_classifier.py), it reads the text itself, not the featurizers' output,
so its features are exactly the ones measured.
"""

# Rasa validates graph signatures with typing_utils; keep typing.List/Dict like Rasa does.
# ruff: noqa: UP006, UP019, UP035, UP045
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from bot.nlu.text_features import text_features

MODEL_FILE = "intent_model.joblib"


def build_model(config: Dict[Text, Any]) -> Pipeline:
    """The classifier as measured in bench/nlu_pipelines.py."""
    classifier = LogisticRegression(
        C=config["C"],
        class_weight="balanced",
        max_iter=2000,
        random_state=config["random_seed"],
    )
    return make_pipeline(text_features(config["sentence_weight"]), classifier)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    """Predicts the intent and a ranking from the message text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Regularisation chosen by cross-validation (bench/nlu_pipelines.py).
            "C": 10.0,
            # How much the sentence vector counts next to the n-grams (both unit length;
            # 0 leaves it out). 1.5 raised cross-validation (bench/results/nlu_pipelines.md)
            # but broke typed check-in answers and the overdose follow-up end to end
            # (tests/e2e), so it is off until those are fixed.
            "sentence_weight": 0.0,
            "random_seed": 42,
            # As DIET was: enough for FallbackClassifier's ambiguity check, and always a
            # non-safety intent for SafetyNet to fall back on.
            "ranking_length": 5,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Pipeline] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(Path(directory) / MODEL_FILE)
        except ValueError:  # nothing was trained (no intent examples)
            model = None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        self.model = build_model(self.config).fit(
            [e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples]
        )
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, Path(directory) / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self.model is None or not text:
                continue
            probabilities = self.model.predict_proba([text])[0]
            ranked = sorted(
                zip(self.model.classes_, probabilities, strict=True),
                key=lambda pair: pair[1],
                reverse=True,
            )[: self.config["ranking_length"]]
            ranking = [
                {INTENT_NAME_KEY: str(name), PREDICTED_CONFIDENCE_KEY: float(confidence)}
                for name, confidence in ranked
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
