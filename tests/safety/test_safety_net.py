"""The SafetyNet graph component on hand-made NLU output (no trained model needed)."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.nlu.safety_net import SAFETY_INTENTS, SafetyNet  # noqa: E402
from tests.support.pipeline import pipeline_step  # noqa: E402

DIET = [
    {"name": "inform", "confidence": 0.7},
    {"name": "learn", "confidence": 0.2},
    {"name": "crisis", "confidence": 0.1},
]


@pytest.fixture(scope="module")
def net() -> SafetyNet:
    return SafetyNet.create({}, None, None, None)  # type: ignore[arg-type]


def parse(net: SafetyNet, text: str, ranking: list[dict] | None = None) -> Message:
    ranking = [dict(r) for r in (ranking or DIET)]
    message = Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})
    net.process([message])
    return message


def entities(message: Message) -> dict[str, str]:
    return {e["entity"]: e["value"] for e in message.get("entities") or []}


def test_crisis_is_forced_with_the_previous_guess_kept(net: SafetyNet) -> None:
    message = parse(net, "I’m going to kil myself")
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    ranking = [r["name"] for r in message.get("intent_ranking")]
    assert ranking[:2] == ["crisis", "inform"] and ranking.count("crisis") == 1
    net_data = message.as_dict(only_output_properties=True)["safety_net"]
    assert net_data["fired"] and net_data["previous_intent"] == "inform"


def test_red_flag_is_forced_with_its_category(net: SafetyNet) -> None:
    message = parse(net, "sudden numbness down one side and my face is drooping")
    assert message.get("intent")["name"] == "red_flag"
    assert entities(message)["red_flag_category"] == "stroke"


def test_diet_crisis_without_a_pattern_is_left_alone(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.9}, {"name": "inform", "confidence": 0.1}]
    message = parse(net, "some wording the patterns do not know", ranking)
    assert message.get("intent") == {"name": "crisis", "confidence": 0.9}


def test_pain_idiom_softens_a_diet_crisis_guess_to_a_light_check(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.8}, {"name": "inform", "confidence": 0.2}]
    message = parse(net, "this pain is killing me", ranking)
    assert message.get("intent")["name"] == "light_check"
    assert entities(message)["idiom"] == "idiom_killing_me"


def test_plain_idiom_softens_to_the_best_other_intent(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.6}, {"name": "learn", "confidence": 0.3}]
    message = parse(net, "dying to know what fibro fog is", ranking)
    assert message.get("intent") == {"name": "learn", "confidence": 0.3}


def test_idiom_mid_check_in_keeps_the_answer(net: SafetyNet) -> None:
    message = parse(net, "it's a 9, my back is killing me")
    assert message.get("intent")["name"] == "inform"
    assert entities(message)["idiom"] == "idiom_killing_me"


def test_payload_and_empty_text_are_untouched(net: SafetyNet) -> None:
    assert parse(net, "/affirm").get("intent")["name"] == "inform"
    message = Message(data={"text": ""})
    net.process([message])
    assert message.get("intent") is None


def test_diets_ranking_always_holds_an_intent_to_fall_back_on_after_the_safety_ones(
    net: SafetyNet,
) -> None:
    # A softened crisis guess falls back on DIET's best other intent, and config.yml keeps
    # only the top of DIET's ranking: even when every safety intent comes first, the kept
    # part must still hold another intent.
    kept = pipeline_step("name", "DIETClassifier").get("ranking_length", 10)
    worst_case = [{"name": "crisis", "confidence": 0.5}] + [
        {"name": name, "confidence": 0.1} for name in sorted(SAFETY_INTENTS - {"crisis"})
    ] + [{"name": "learn", "confidence": 0.05}, {"name": "inform", "confidence": 0.01}]
    message = parse(net, "dying to know what fibro fog is", worst_case[:kept])
    assert message.get("intent") == {"name": "learn", "confidence": 0.05}
