"""The knowledge base is content, validated like code (CONTENT.md is the brief)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from bot import knowledge
from bot.knowledge import (
    TOPIC_KEYS,
    find_term,
    load_glossary,
    load_techniques,
    load_topics,
    reading_grade,
    render_responses,
)

BANNED = {
    "all in your head": re.compile(r"all in (your|the) (head|mind)", re.I),
    "lazy": re.compile(r"\blaz(y|iness)\b", re.I),
    "deconditioning": re.compile(r"\bdecondition", re.I),
    "false beliefs": re.compile(r"false belief", re.I),
    "doses": re.compile(r"\d\s*(mg|mcg|milligrams?)\b|\bmg\b", re.I),
    "stop taking": re.compile(
        r"stop(ping)? (taking|your (medicine|medication|meds|tablets))", re.I
    ),
    "calories": re.compile(r"calori", re.I),
    "weight loss": re.compile(r"lose weight|weight[- ]loss|slimming", re.I),
    "restrictive diet": re.compile(r"\b(cut out|eliminat\w+|keto|fasting)\b", re.I),
}
NEGATION = re.compile(r"\b(not|no|never|avoid|against|don't)\b", re.I)
GRADED_EXERCISE = re.compile(r"graded exercise|fixed (step-ups|increases|schedule)", re.I)


def _all_texts() -> list[tuple[str, str]]:
    topics = load_topics()
    texts = [("pem_screen", topics.pem_screen.question)]
    texts += [(f"activity_advice.{k}", v) for k, v in topics.activity_advice.dict().items()]
    for key, topic in topics.topics.items():
        for field in ("title", "short", "more", "for_you"):
            texts.append((f"{key}.{field}", getattr(topic, field)))
    for key, entry in load_glossary().terms.items():
        texts.append((f"glossary.{key}", entry.definition))
    for tech in load_techniques().techniques:
        texts += [(f"technique.{tech.id}.step", step) for step in tech.steps]
        texts.append((f"technique.{tech.id}.cautions", tech.cautions))
    return texts


def test_every_topic_present_with_fixed_keys():
    assert tuple(load_topics().topics) == TOPIC_KEYS
    assert load_topics().schema_version >= 1


@pytest.mark.parametrize("key", TOPIC_KEYS)
def test_topic_is_sourced_related_and_reviewed(key):
    topic = load_topics().topics[key]
    assert topic.sources, key
    for source in topic.sources:
        # The widget only turns https:// URLs into links.
        assert re.match(r"https://", source.url), source.url
    assert 2 <= len(topic.related) <= 4
    assert all(rel in TOPIC_KEYS and rel != key for rel in topic.related)
    assert isinstance(topic.last_reviewed, dt.date)
    assert topic.last_reviewed <= dt.date.today()


def test_last_reviewed_is_iso_in_the_raw_file():
    raw = yaml.safe_load(knowledge.TOPICS_PATH.read_text(encoding="utf-8"))
    for key, topic in raw["topics"].items():
        dt.date.fromisoformat(str(topic["last_reviewed"]))  # raises on a non-ISO date
        assert key in TOPIC_KEYS


@pytest.mark.parametrize("key", TOPIC_KEYS)
def test_short_answer_is_short_and_plain(key):
    short = load_topics().topics[key].short
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", short) if s]
    assert 2 <= len(sentences) <= 4, sentences
    assert reading_grade(short) <= 9, (key, reading_grade(short))


def test_longer_texts_stay_readable():
    # Grade formulas are meaningless on titles and one-line steps.
    for name, text in _all_texts():
        if len(text.split()) < 15:
            continue
        assert reading_grade(text) <= 10, (name, reading_grade(text))


@pytest.mark.parametrize("name", sorted(BANNED))
def test_banned_phrases_absent(name):
    pattern = BANNED[name]
    hits = [(where, text) for where, text in _all_texts() if pattern.search(text)]
    assert not hits, hits


def test_graded_exercise_is_never_recommended():
    for where, text in _all_texts():
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if GRADED_EXERCISE.search(sentence):
                assert NEGATION.search(sentence), (where, sentence)


def test_medication_defers_to_prescriber():
    topic = load_topics().topics["medication"]
    assert re.search(r"doctor or prescriber", topic.short + topic.for_you)


def test_pem_screen_and_activity_advice():
    topics = load_topics()
    assert topics.topics["physical_therapy"].activity_advice
    assert "pacing" in topics.activity_advice.pem.lower()
    assert "clinician" in topics.activity_advice.pem.lower()
    assert "slowly" in topics.activity_advice.no_pem.lower()
    assert topics.pem_screen.sources


def test_generated_responses_in_sync():
    rendered = render_responses(load_topics())
    assert knowledge.RESPONSES_PATH.read_text(encoding="utf-8") == rendered, (
        "run `python -m bot.knowledge`"
    )
    responses = yaml.safe_load(rendered)["responses"]
    assert set(responses) == {f"utter_learn/{key}" for key in TOPIC_KEYS}
    for key in TOPIC_KEYS:
        assert responses[f"utter_learn/{key}"][0]["text"] == load_topics().topics[key].short


GLOSSARY_KEYS = {
    "cortisol",
    "adrenaline",
    "cytokine",
    "inflammation",
    "central_sensitisation",
    "pem",
    "pacing",
    "energy_envelope",
    "hpa_axis",
    "fibromyalgia",
    "cbt",
    "act",
    "flare",
}


def test_glossary_complete_and_linked():
    terms = load_glossary().terms
    assert set(terms) >= GLOSSARY_KEYS
    for key, entry in terms.items():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", entry.definition) if s]
        assert 1 <= len(sentences) <= 2, key
        assert entry.topic in TOPIC_KEYS


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("central sensitization", "central_sensitisation"),
        ("what does fibro mean", "fibromyalgia"),
        ("IL-6", "cytokine"),
        ("Post Exertional Malaise", "pem"),
        ("the hpa axis", "hpa_axis"),
        ("flare-up", "flare"),
        ("spoons", "energy_envelope"),
        ("what is a banana", None),
    ],
)
def test_find_term(text, key):
    assert find_term(text) == key


TECHNIQUE_IDS = {
    "paced_breathing",
    "body_scan",
    "progressive_muscle_relaxation",
    "grounding_54321",
    "energy_envelope",
    "activity_scheduling",
    "sleep_wind_down",
    "gentle_movement",
    "heat",
    "worry_time",
    "self_compassion_break",
    "activity_diary",
}


def test_techniques_valid():
    techniques = load_techniques().techniques
    assert len(techniques) >= 12
    assert {t.id for t in techniques} >= TECHNIQUE_IDS
    for tech in techniques:
        assert set(tech.targets) <= {"stress", "sleep", "fatigue", "pain", "mood"}
        assert tech.steps and all(len(step) <= 140 for step in tech.steps)
        assert tech.cautions
        assert tech.sources and all(re.match(r"https://", s.url) for s in tech.sources)
        assert 1 <= tech.evidence_prior.alpha <= 10 and 1 <= tech.evidence_prior.beta <= 10
        assert tech.last_reviewed <= dt.date.today()


def test_only_activity_increasing_techniques_require_no_pem():
    flagged = {t.id for t in load_techniques().techniques if t.requires_no_pem}
    assert flagged == {"gentle_movement"}


def test_term_synonyms_and_lookups_match_the_glossary():
    path = knowledge.REPO_ROOT / "data" / "nlu" / "lookups.yml"
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    terms = load_glossary().terms
    for block in blocks:
        examples = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
        if "synonym" in block:
            assert block["synonym"] in terms, block["synonym"]
            for example in examples:
                assert find_term(example) == block["synonym"], example
        else:
            assert block["lookup"] == "term"
            assert all(find_term(example) for example in examples)


def _examples(path) -> dict[str, list[str]]:
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    annotation = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")
    return {
        block["intent"]: [
            annotation.sub(r"\1", line.strip()[2:]).strip().lower()
            for line in block["examples"].splitlines()
            if line.strip()
        ]
        for block in blocks
        if "intent" in block
    }


def test_every_topic_has_training_and_held_out_examples():
    training = _examples(knowledge.REPO_ROOT / "data" / "nlu" / "learn.yml")
    held_out = _examples(knowledge.REPO_ROOT / "tests" / "test_nlu.yml")
    for key in TOPIC_KEYS:
        intent = f"learn/{key}"
        assert len(training.get(intent, [])) >= 25, intent
        assert len(held_out.get(intent, [])) >= 8, intent
    assert set(training) - {"learn_more", "learn_action", "learn_source", "define_term"} == {
        f"learn/{key}" for key in TOPIC_KEYS
    }


def test_held_out_examples_are_not_copied_from_training():
    training = set()
    for path in (knowledge.REPO_ROOT / "data" / "nlu").glob("*.yml"):
        for examples in _examples(path).values():
            training.update(examples)
    held_out = _examples(knowledge.REPO_ROOT / "tests" / "test_nlu.yml")
    copied = {i: [e for e in ex if e in training] for i, ex in held_out.items()}
    assert not {i: ex for i, ex in copied.items() if ex}
