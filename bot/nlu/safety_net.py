"""SafetyNet: every message's safety verdict, as the last layer of the NLU pipeline.

Place it LAST in config.yml as ``bot.nlu.safety_net.SafetyNet``. Two layers give a
verdict, and the strongest wins (KIND_RANK): the deterministic patterns
(bot/nlu/safety_patterns.py) and a learned classifier trained on the safety corpus
alone (bot/nlu/safety_classifier.py). Either may raise the verdict; only the idiom and
research exclusions lower it, and they do so for both layers (the classifier reads the
text with them cut out).

* A verdict of overdose, crisis, harm_others, third_party or red_flag forces that intent
  with confidence 1.0 (DIET's guess stays in ``intent_ranking`` right after it); red
  flags add the entity ``red_flag_category``.
* The classifier's crisis verdict becomes a ``concern`` (a direct question about
  thoughts of ending one's life, with the contacts), unless it is sure (the
  ``crisis_flow`` threshold) of a whole sentence with nothing cut out
  (safety_classifier.may_start_crisis_flow): never the full flow on a typo or a
  fragment. It says nothing about messages of fewer than two words.
* A ``concern`` (passive or indirect wording) forces the intent ``concern``.
* An idiom of pain or distress ("this pain is killing me") with nothing else becomes
  ``light_check`` (one "are you OK?") when DIET had nothing better; an answer given with
  it (a score mid check-in) is kept.
* DIET's own crisis or red-flag guess is not a verdict: with neither layer agreeing it
  gives way to DIET's best other intent, except a crisis guess of DIET_CRISIS_LEAN or
  more, which becomes a concern.
* The verdict and both layers' findings go in the message attribute ``safety_net``
  (also in the tracker's ``parse_data``), never the text.
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

from bot.nlu.safety_classifier import SafetyClassifier, Verdict, acted_on, consulted
from bot.nlu.safety_patterns import (
    CONCERN,
    CRISIS,
    HARM_OTHERS,
    OVERDOSE,
    RED_FLAG,
    THIRD_PARTY,
    SafetyMatch,
    SafetyMatcher,
)

logger = logging.getLogger(__name__)

SAFETY_NET_ATTRIBUTE = "safety_net"
LIGHT_CHECK_INTENT = "light_check"
# Verdicts, strongest first; each is also the intent the net forces.
KIND_RANK = (OVERDOSE, CRISIS, HARM_OTHERS, THIRD_PARTY, RED_FLAG, CONCERN)
# Never a fallback for a softened guess. DIET's ranking_length in config.yml must be
# larger than the part of this set DIET is trained on, so that its ranking always holds
# another intent.
SAFETY_INTENTS = frozenset({*KIND_RANK, LIGHT_CHECK_INTENT})
RED_FLAG_CATEGORY_ENTITY = "red_flag_category"
IDIOM_ENTITY = "idiom"
# DIET's answers that say it found no intent.
_NO_GUESS = frozenset({"nlu_fallback", None})
# Verdicts about who is at risk; see _strongest.
WHO_KINDS = (THIRD_PARTY, HARM_OTHERS)
# DIET (trained on data/nlu/safety.yml too) is not a safety layer; a crisis guess this
# sure, with no pattern and no idiom, still gets the direct question of a concern.
DIET_CRISIS_LEAN = 0.9


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    """Forces crisis / red-flag intents from deterministic patterns."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # a patterns file or folder; None -> data/safety/patterns/ in the repo
            "patterns_path": None,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        matcher: SafetyMatcher,
        classifier: Optional[SafetyClassifier] = None,
    ) -> None:
        self.component_config = config
        self.matcher = matcher
        self.classifier = classifier

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNet:
        matcher = SafetyMatcher.from_file(config.get("patterns_path"))
        return cls(config, matcher, SafetyClassifier.train(matcher=matcher))

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
        if not text or text.startswith("/"):
            return  # a payload the bot offered (typed "/..." is neutralised by the API)
        found = self.matcher.match(text)
        learned = self._classify(found)
        kind, category = _strongest(found, learned)
        original = dict(message.get(INTENT) or {})
        original_name: Optional[str] = original.get(INTENT_NAME_KEY)
        softened = False
        if (
            kind is None
            and not found.idioms
            and original_name == CRISIS
            and float(original.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= DIET_CRISIS_LEAN
        ):
            kind = CONCERN  # DIET leans to crisis with no pattern: ask, never the full flow

        if kind is not None:
            self._force_intent(message, kind)
            if kind == RED_FLAG and category:
                self._add_entity(message, RED_FLAG_CATEGORY_ENTITY, category, text)
        else:
            if found.idioms:
                self._add_entity(message, IDIOM_ENTITY, found.idioms[0], text)
            # With no verdict, DIET's own safety guess gives way ("im so tierd"): the verdict
            # is the layers'. After an idiom, so does a guess DIET could not make at all.
            if original_name in SAFETY_INTENTS or (found.idioms and original_name in _NO_GUESS):
                if found.idioms and found.light_check:
                    self._force_intent(message, LIGHT_CHECK_INTENT)
                else:
                    # "dying to know", "suicide rates": not distress, so no "are you OK?".
                    name, confidence = _best_other_intent(message)
                    self._force_intent(message, name, confidence)
                softened = True

        if kind is not None or softened:
            # DEBUG, not INFO: a verdict and its category are health information.
            logger.debug(
                "SafetyNet: %s (rule %s, category %s, classifier %s %.2f), previous intent %s",
                message.get(INTENT, {}).get(INTENT_NAME_KEY),
                found.rule_id,
                category,
                learned.label if learned else None,
                learned.risk if learned else 0.0,
                original_name,
            )
        message.set(
            SAFETY_NET_ATTRIBUTE,
            _attribute(found, learned, kind, category, original, softened),
            add_to_output=True,
        )

    def _classify(self, found: SafetyMatch) -> Optional[Verdict]:
        if self.classifier is None or not consulted(found):
            return None
        return self.classifier.scores_cut(found.cut_text)

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


def _strongest(
    found: SafetyMatch, learned: Optional[Verdict]
) -> Tuple[Optional[str], Optional[str]]:
    """The strongest of the two layers' verdicts: (kind, red-flag category)."""
    candidates: List[Tuple[str, Optional[str]]] = []
    if found.kind:
        candidates.append((found.kind, found.category))
    elif found.concern:
        candidates.append((CONCERN, None))
    # A pattern's verdict is the more specific: the classifier only speaks where no pattern
    # did, or raises a concern (a hopeless message that also says "took the whole box").
    if learned is not None and learned.flagged and not found.kind:
        kind = acted_on(found, learned)
        # Whose crisis it is, the classifier cannot overrule: with a pattern verdict, its
        # guess of someone else's crisis or of harm to others does not count.
        if kind is not None and not (candidates and kind in WHO_KINDS):
            candidates.append((kind, learned.category))
    if not candidates:
        return None, None
    return min(candidates, key=lambda c: KIND_RANK.index(c[0]))


def _attribute(
    found: SafetyMatch,
    learned: Optional[Verdict],
    kind: Optional[str],
    category: Optional[str],
    original: Dict[Text, Any],
    softened: bool,
) -> Dict[Text, Any]:
    data = found.as_dict()
    data["verdict"] = kind
    data["category"] = category
    data["fired"] = kind is not None
    data["classifier"] = (
        {"label": learned.label, "risk": round(learned.risk, 3), "flagged": learned.flagged}
        if learned is not None
        else None
    )
    data["softened"] = softened
    data["previous_intent"] = original.get(INTENT_NAME_KEY)
    data["previous_confidence"] = original.get(PREDICTED_CONFIDENCE_KEY)
    return data
