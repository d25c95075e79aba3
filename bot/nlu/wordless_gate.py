"""An NLU component for messages with no words in them (bot/nlu/wordless.py).

The intent classifier reads words; on "🙂" or "👍" it can only guess, and a guess that
lands nowhere reached Rasa's core fallback, whose "Sorry, I can't do that right now"
reads like an outage. Here a thumbs up is the intent ``affirm``, a thumbs down ``deny``,
and anything else without words ``nlu_fallback`` with the attribute WORDLESS_ATTRIBUTE,
so the fallback action answers with a friendly nudge instead of asking to rephrase. The
safety net runs after this.
"""

# Rasa validates graph signatures with typing_utils; keep typing.List/Dict like Rasa does.
# ruff: noqa: UP006, UP035
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.message_gate import NOT_UNDERSTOOD, MessageGate
from bot.nlu.wordless import WORDLESS_ATTRIBUTE, reading


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class WordlessGate(MessageGate):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            meaning = reading(message.get(TEXT) or "")
            if meaning is None:
                continue
            name = NOT_UNDERSTOOD if meaning == WORDLESS_ATTRIBUTE else meaning
            intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(intent)], add_to_output=True)
            if meaning == WORDLESS_ATTRIBUTE:
                message.set(WORDLESS_ATTRIBUTE, True, add_to_output=True)
        return messages
