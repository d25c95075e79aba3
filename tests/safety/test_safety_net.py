"""The SafetyNet graph component on hand-made NLU output (no trained model needed)."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from pathlib import Path  # noqa: E402

import yaml  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.nlu.safety_classifier import Verdict  # noqa: E402
from bot.nlu.safety_corpus import NONE, by_kind, load_corpus  # noqa: E402
from bot.nlu.safety_net import SAFETY_INTENTS, SafetyNet  # noqa: E402
from bot.nlu.safety_patterns import default_matcher  # noqa: E402
from tests.support.pipeline import pipeline_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

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


def test_diet_crisis_without_a_pattern_no_longer_passes_through(net: SafetyNet) -> None:
    # DIET is not a safety layer: a sure crisis guess (0.9, the lean) only asks directly.
    ranking = [{"name": "crisis", "confidence": 0.9}, {"name": "inform", "confidence": 0.1}]
    message = parse(net, "some wording the patterns do not know", ranking)
    assert message.get("intent") == {"name": "concern", "confidence": 1.0}


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
    # DIET only ranks the safety intents it is trained on (data/nlu); the others (concern,
    # overdose, ...) come from the net alone.
    kept = pipeline_step("name", "DIETClassifier").get("ranking_length", 10)
    trained = {
        block["intent"]
        for path in (ROOT / "data/nlu").glob("*.yml")
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or [])
        if "intent" in block
    }
    diet_safety = sorted((SAFETY_INTENTS & trained) - {"crisis"})
    assert "crisis" in trained and diet_safety
    worst_case = (
        [{"name": "crisis", "confidence": 0.5}]
        + [{"name": name, "confidence": 0.1} for name in diet_safety]
        + [{"name": "learn", "confidence": 0.05}, {"name": "inform", "confidence": 0.01}]
    )
    message = parse(net, "dying to know what fibro fog is", worst_case[:kept])
    assert message.get("intent") == {"name": "learn", "confidence": 0.05}


def test_no_near_miss_in_the_corpus_gets_an_alarm_from_the_patterns_and_classifier(
    net: SafetyNet,
) -> None:
    # The served stack checks the same lines end to end (tests/e2e/test_safety_corpus.py),
    # but only in the slow suite: a retrained classifier that alarms on a near miss it
    # was trained on shows up here in seconds.
    alarms = []
    for example in by_kind(load_corpus(), NONE):
        intent = parse(net, example.text).get("intent")["name"]
        if intent in SAFETY_INTENTS - {"light_check", "concern"}:
            alarms.append((example.text, intent))
    assert alarms == []


# ---------------------------------------------------------------- graded verdicts


class StubClassifier:
    """Stands in for the learned classifier: the same verdict whatever the text."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.seen: list[str] = []

    def scores_cut(self, text: str) -> Verdict:
        self.seen.append(text)
        return self.verdict


def stub_net(verdict: Verdict) -> SafetyNet:
    return SafetyNet({}, default_matcher(), StubClassifier(verdict))  # type: ignore[arg-type]


def net_data(message: Message) -> dict:
    return message.as_dict(only_output_properties=True)["safety_net"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i took a whole box of paracetamol an hour ago", "overdose"),
        ("my toddler got into the pill box and I don't know how many she's eaten", "overdose"),
        ("my friend is suicidal, what should i do", "third_party"),
        ("my son said he wants to die", "third_party"),
        ("i keep thinking about hurting my partner", "harm_others"),
        ("I'm afraid I'll harm the baby", "harm_others"),
    ],
)
def test_overdose_third_party_and_harm_to_others_force_their_intents(
    net: SafetyNet, text: str, intent: str
) -> None:
    message = parse(net, text)
    assert message.get("intent") == {"name": intent, "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")][:2] == [intent, "inform"]
    assert net_data(message)["verdict"] == intent


def test_a_crisis_only_the_classifier_sees_becomes_concern_never_crisis() -> None:
    net = stub_net(Verdict("crisis", 0.99, True))
    message = parse(net, "some wording the patterns do not know")
    assert message.get("intent") == {"name": "concern", "confidence": 1.0}
    assert "crisis" not in [r["name"] for r in message.get("intent_ranking")][:1]
    data = net_data(message)
    assert data["kind"] is None and data["classifier"]["label"] == "crisis"
    assert data["verdict"] == "concern"


def test_a_sure_classifier_crisis_on_a_whole_sentence_starts_the_crisis_flow() -> None:
    net = stub_net(Verdict("crisis", 0.99, flagged=True, sure=True))
    message = parse(net, "some long wording that the patterns have never seen before today")
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert net_data(message)["verdict"] == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "some wording nobody knows",  # too few words to be evidence on its own
        # an idiom cut out: what is left is read with less trust
        "this flare is killing me and i have been thinking about everything tonight at home",
    ],
)
def test_a_sure_classifier_crisis_on_a_short_or_cut_message_only_asks(text: str) -> None:
    message = parse(stub_net(Verdict("crisis", 0.99, flagged=True, sure=True)), text)
    assert message.get("intent") == {"name": "concern", "confidence": 1.0}


def test_an_unflagged_classifier_crisis_gives_no_verdict() -> None:
    message = parse(
        stub_net(Verdict("crisis", 0.4, False)), "some wording the patterns do not know"
    )
    assert message.get("intent")["name"] == "inform"
    assert net_data(message)["verdict"] is None


@pytest.mark.parametrize(
    "text",
    [
        "tonight i am going to do it",
        "i have decided tonight is the night",
        "thinking about the bridge again",
    ],
)
def test_a_short_wording_the_real_classifier_flags_only_asks_never_the_crisis_flow(
    net: SafetyNet, text: str
) -> None:
    message = parse(net, text)
    data = net_data(message)
    if data["kind"] is not None:
        pytest.skip(f"a pattern now catches {text!r}; the stub test covers the rule")
    assert data["classifier"]["label"] == "crisis" and data["classifier"]["flagged"]
    assert message.get("intent") == {"name": "concern", "confidence": 1.0}


def test_a_pattern_crisis_stays_crisis_whatever_the_classifier_says() -> None:
    message = parse(stub_net(Verdict("concern", 0.99, True)), "I’m going to kil myself")
    assert message.get("intent")["name"] == "crisis"


@pytest.mark.parametrize("text", ["tonight", "goodbye", "done", "  over  "])
def test_a_one_word_message_never_gets_a_verdict_from_the_classifier(text: str) -> None:
    stub = StubClassifier(Verdict("crisis", 0.99, True))
    net = SafetyNet({}, default_matcher(), stub)  # type: ignore[arg-type]
    message = parse(net, text)
    assert message.get("intent")["name"] == "inform"
    assert net_data(message)["classifier"] is None
    assert stub.seen == []


def test_tonight_alone_is_not_a_concern_with_the_real_classifier(net: SafetyNet) -> None:
    # The trained classifier scores the single word "tonight" as crisis; one word is not enough.
    message = parse(net, "tonight")
    assert message.get("intent")["name"] == "inform"
    assert net_data(message)["verdict"] is None


def test_a_diet_crisis_guess_of_0_7_on_a_typo_gives_diets_next_intent(net: SafetyNet) -> None:
    ranking = [
        {"name": "crisis", "confidence": 0.7},
        {"name": "inform", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
    ]
    message = parse(net, "im so tierd", ranking)
    assert message.get("intent") == {"name": "inform", "confidence": 0.2}
    assert net_data(message)["verdict"] is None
    assert net_data(message)["softened"] is True


def test_a_diet_crisis_guess_of_0_95_with_no_pattern_gives_concern(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.95}, {"name": "inform", "confidence": 0.05}]
    message = parse(net, "some wording the patterns do not know", ranking)
    assert message.get("intent") == {"name": "concern", "confidence": 1.0}
    assert net_data(message)["kind"] is None


def test_a_diet_red_flag_guess_with_no_pattern_gives_way(net: SafetyNet) -> None:
    ranking = [{"name": "red_flag", "confidence": 0.95}, {"name": "inform", "confidence": 0.05}]
    message = parse(net, "my knee is a bit sore after the walk", ranking)
    assert message.get("intent") == {"name": "inform", "confidence": 0.05}


def test_a_diet_crisis_guess_just_under_the_lean_gives_way(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.89}, {"name": "inform", "confidence": 0.11}]
    message = parse(net, "some wording the patterns do not know", ranking)
    assert message.get("intent") == {"name": "inform", "confidence": 0.11}


def test_a_sure_diet_crisis_guess_on_a_pain_idiom_is_only_a_light_check(net: SafetyNet) -> None:
    ranking = [{"name": "crisis", "confidence": 0.97}, {"name": "inform", "confidence": 0.03}]
    message = parse(net, "this pain is killing me", ranking)
    assert message.get("intent")["name"] == "light_check"


def test_a_past_attempt_told_as_past_gets_the_direct_question_not_the_crisis_flow(
    net: SafetyNet,
) -> None:
    message = parse(net, "When I was at uni I attempted suicide. These days I'm doing much better")
    assert message.get("intent")["name"] == "concern"


def test_a_past_attempt_does_not_hide_a_crisis_today(net: SafetyNet) -> None:
    message = parse(net, "I attempted suicide years ago. Tonight I want to kill myself again")
    assert message.get("intent")["name"] == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "my calf was scanned for a clot and the doctor said it's a strained muscle",
        "knee is stiff but it isn't hot, red or swollen",
        "if I ever get chest pain on the new tablets should I ring 999?",
        "the numbness in my fingers is from my carpal tunnel, I've had it for years",
    ],
)
def test_an_absent_explained_or_hypothetical_symptom_is_not_sent_to_urgent_care(
    net: SafetyNet, text: str
) -> None:
    assert parse(net, text).get("intent")["name"] != "red_flag"


def test_a_new_symptom_next_to_an_explained_one_is_still_seen(net: SafetyNet) -> None:
    text = (
        "the tingling in my feet is from my diabetes, but since this morning my right arm "
        "is weak and my face feels droopy"
    )
    message = parse(net, text)
    assert message.get("intent")["name"] == "red_flag"
    assert entities(message)["red_flag_category"] == "stroke"


def test_a_fragment_left_after_a_cut_gets_no_verdict_from_the_classifier(net: SafetyNet) -> None:
    # "ive had | " is what is left once the menopause explanation is cut out.
    message = parse(net, "I've had night sweats since the menopause started")
    assert message.get("intent")["name"] == "inform"
    assert message.get("safety_net")["classifier"] is None


def test_an_overdose_guess_on_a_what_if_question_only_asks(net: SafetyNet) -> None:
    message = parse(net, "what happens if someone takes a whole strip of ibuprofen at once")
    assert message.get("intent")["name"] == "concern"
