"""An NLU component that stops Cadence guessing at messages in other languages.

DIET was trained on English only; on "hola, estoy muy cansada" it still answers with some
English intent, and with enough confidence to pass the fallback threshold. A message that
looks non-English (bot/nlu/language.py) gets the intent ``nlu_fallback`` instead, and
the attribute LANGUAGE_ATTRIBUTE in its parse data, so the fallback action can say that
Cadence speaks English only without asking the question again. The safety net runs after this
and still overrides it.
"""

# Rasa validates graph signatures with typing_utils; keep typing.List/Dict like Rasa does.
# ruff: noqa: UP006, UP035
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import LANGUAGE_ATTRIBUTE, OTHER_LANGUAGE, looks_non_english
from bot.nlu.message_gate import NOT_UNDERSTOOD, MessageGate


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageGate(MessageGate):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not looks_non_english(text):
                continue  # a payload the bot offered, or English
            message.set(
                INTENT,
                {INTENT_NAME_KEY: NOT_UNDERSTOOD, PREDICTED_CONFIDENCE_KEY: 1.0},
                add_to_output=True,
            )
            message.set(LANGUAGE_ATTRIBUTE, OTHER_LANGUAGE, add_to_output=True)
        return messages
