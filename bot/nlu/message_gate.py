"""What the NLU's gates share (LanguageGate, WordlessGate): an untrained component that
overrules the intent of a message it recognises, after the classifiers and before the
safety net."""

# Rasa validates graph signatures with typing_utils; keep typing.Dict like Rasa does.
# ruff: noqa: UP006, UP035
from __future__ import annotations

from typing import Any, Dict

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

NOT_UNDERSTOOD = "nlu_fallback"


class MessageGate(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageGate:
        return cls()

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
