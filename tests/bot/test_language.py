"""Messages in another language are told, kindly, that Cadence speaks English only."""

from __future__ import annotations

import pytest

from bot.nlu.language import looks_non_english


@pytest.mark.parametrize(
    "text",
    [
        "hola, tengo mucho dolor hoy",
        "estoy muy cansada y no puedo dormir",
        "je suis très fatiguée aujourd'hui",
        "ich bin sehr müde und habe Schmerzen",
        "estou com muita dor nas costas",
        "мне очень больно",
        "我很累",
        "أنا متعب جدا",
    ],
)
def test_messages_in_other_languages_are_recognised(text: str) -> None:
    assert looks_non_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm so tired",
        "hola! I'm having a bad day",
        "my pain is 7 today",
        "que sera sera, the pain is bad",
        "👍",
        "ok",
        "café was closed so I walked further than planned",
    ],
)
def test_english_and_content_free_messages_are_not(text: str) -> None:
    assert not looks_non_english(text)


def test_no_english_training_example_is_taken_for_another_language() -> None:
    # The gate may change Rasa's answer only for other languages: every NLU example of
    # the training data must pass it untouched.
    from bot.nlu.safety_corpus import everyday_examples, load_corpus

    examples = everyday_examples() + load_corpus()
    flagged = [e.text for e in examples if looks_non_english(e.text)]
    assert flagged == []


def test_the_gate_sends_another_language_to_the_fallback_and_says_why() -> None:
    pytest.importorskip("rasa")
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.language import LANGUAGE_ATTRIBUTE, OTHER_LANGUAGE
    from bot.nlu.language_gate import LanguageGate

    spanish = Message(data={"text": "estoy muy cansada", "intent": {"name": "learn"}})
    english = Message(data={"text": "I'm so tired", "intent": {"name": "share_feeling"}})
    LanguageGate().process([spanish, english])
    assert spanish.get("intent")["name"] == "nlu_fallback"
    assert spanish.get(LANGUAGE_ATTRIBUTE) == OTHER_LANGUAGE
    assert english.get("intent")["name"] == "share_feeling"
    assert english.get(LANGUAGE_ATTRIBUTE) is None
