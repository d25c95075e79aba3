"""SafetyNet: a deterministic last layer over the NLU pipeline.

Place it LAST in config.yml (after DIETClassifier, ResponseSelector and
FallbackClassifier) as ``bot.nlu.safety_net.SafetyNet``. It never lowers safety:

* a crisis / red-flag pattern match forces ``intent`` to ``crisis`` / ``red_flag`` with
  confidence 1.0 (the previous prediction stays in ``intent_ranking`` right after it),
  adds entity ``red_flag_category`` for red flags, and sets the message attribute
  ``safety_net`` (also in the tracker's ``parse_data``);
* with no match, a ``crisis`` / ``red_flag`` prediction from DIET is left alone, so
  either layer alone starts the safety flow;
* the one exception: when the net recognised an idiom or a research question and found
  no crisis wording in the rest of the text, a DIET ``crisis`` guess is softened: pain and
  distress idioms ("this pain is killing me") become ``light_check`` (a single "are you
  OK?", never the full crisis flow); others ("dying to know", "suicide rates in chronic
  pain") take DIET's best non-safety intent. Idioms also get the entity ``idiom``.
"""

# Rasa validates graph signatures with typing_utils; keep typing.List/Dict like Rasa does.
# ruff: noqa: UP006, UP019, UP035, UP045
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.safety_patterns import CRISIS, RED_FLAG, SafetyMatch, SafetyMatcher

logger = logging.getLogger(__name__)

SAFETY_NET_ATTRIBUTE = "safety_net"
LIGHT_CHECK_INTENT = "light_check"
# Never a fallback for a softened crisis guess. DIET's ranking_length in config.yml must be
# larger than this set, so that its ranking always holds another intent.
SAFETY_INTENTS = frozenset({CRISIS, RED_FLAG, LIGHT_CHECK_INTENT})
RED_FLAG_CATEGORY_ENTITY = "red_flag_category"
IDIOM_ENTITY = "idiom"
# DIET guesses the net may turn into a light check when it has seen an idiom.
_SOFTENABLE_INTENTS = {CRISIS, "nlu_fallback", "out_of_scope", None}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    """Forces crisis / red-flag intents from deterministic patterns."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # path to the patterns file; None -> data/safety/patterns.yml in the repo
            "patterns_path": None,
        }

    def __init__(self, config: Dict[Text, Any], matcher: SafetyMatcher) -> None:
        self.component_config = config
        self.matcher = matcher

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNet:
        matcher = SafetyMatcher.from_file(config.get("patterns_path"))
        return cls(config, matcher)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self._process_one(message)
            except Exception:  # pragma: no cover - never break NLU because of the net
                logger.exception("SafetyNet failed on a message; prediction left as is")
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        found = self.matcher.match(text)
        original = dict(message.get(INTENT) or {})
        original_name: Optional[str] = original.get(INTENT_NAME_KEY)
        softened = False

        if found.fired:
            self._force_intent(message, found.kind or CRISIS)
            if found.kind == RED_FLAG and found.category:
                self._add_entity(message, RED_FLAG_CATEGORY_ENTITY, found.category, text)
        elif found.idioms or found.light_check:
            if found.light_check or original_name == CRISIS:
                self._add_entity(
                    message, IDIOM_ENTITY, (found.idioms or found.concern or ["concern"])[0], text
                )
            if original_name in _SOFTENABLE_INTENTS and found.light_check:
                self._force_intent(message, LIGHT_CHECK_INTENT)
                softened = True
            elif original_name == CRISIS:
                # "dying to know", "suicide rates": not distress, so no "are you OK?";
                # fall back to DIET's best non-safety guess.
                name, confidence = _best_other_intent(message)
                self._force_intent(message, name, confidence)
                softened = True
        elif found.concern:
            self._add_entity(message, IDIOM_ENTITY, found.concern[0], text)

        if found.fired or softened:
            logger.info(
                "SafetyNet: %s (rule %s, category %s), previous intent %s",
                message.get(INTENT, {}).get(INTENT_NAME_KEY),
                found.rule_id,
                found.category,
                original_name,
            )
        message.set(
            SAFETY_NET_ATTRIBUTE,
            _attribute(found, original, softened),
            add_to_output=True,
        )

    @staticmethod
    def _force_intent(message: Message, name: str, confidence: float = 1.0) -> None:
        ranking = [
            r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != name
        ]
        original = message.get(INTENT) or {}
        if original.get(INTENT_NAME_KEY) not in (None, name) and not any(
            r.get(INTENT_NAME_KEY) == original.get(INTENT_NAME_KEY) for r in ranking
        ):
            ranking.insert(0, dict(original))
        forced = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(forced), *ranking], add_to_output=True)

    def _add_entity(self, message: Message, entity: str, value: str, text: str) -> None:
        entities = [
            e for e in (message.get(ENTITIES) or []) if e.get(ENTITY_ATTRIBUTE_TYPE) != entity
        ]
        entities.append(
            {
                ENTITY_ATTRIBUTE_TYPE: entity,
                ENTITY_ATTRIBUTE_VALUE: value,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                EXTRACTOR: self.__class__.__name__,
            }
        )
        message.set(ENTITIES, entities, add_to_output=True)


def _best_other_intent(message: Message) -> Tuple[str, float]:
    for candidate in message.get(INTENT_RANKING_KEY) or []:
        name = candidate.get(INTENT_NAME_KEY)
        if name and name not in SAFETY_INTENTS:
            return name, float(candidate.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return "nlu_fallback", 0.0


def _attribute(found: SafetyMatch, original: Dict[Text, Any], softened: bool) -> Dict[Text, Any]:
    data = found.as_dict()
    data["fired"] = found.fired
    data["softened"] = softened
    data["previous_intent"] = original.get(INTENT_NAME_KEY)
    data["previous_confidence"] = original.get(PREDICTED_CONFIDENCE_KEY)
    return data
