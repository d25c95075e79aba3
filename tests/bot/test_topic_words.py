"""The word groups in data/nlu/topic_words.yml reach the ResponseSelector as features.

The pipeline has no word vectors, so these groups are how "sore" and "aching", or "low"
and "anxious", become alike to the ResponseSelector. The tests run Rasa's own
RegexFeaturizer with its settings in config.yml on the project's NLU data.
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.constants import TEXT  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from tests.support.pipeline import ROOT, pipeline_step  # noqa: E402

GROUPS = ("pain_word", "tired_word", "mood_word", "nerve_word", "cycle_word")


@pytest.fixture(scope="module")
def nlu_data() -> TrainingData:
    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def featurize(tmp_path_factory, nlu_data):
    """Trains the featurizer as `rasa train` does; returns text -> the groups that fire."""
    config = {**RegexFeaturizer.get_default_config(), **pipeline_step("alias", "topic_words")}
    featurizer = RegexFeaturizer.create(
        config,
        LocalModelStorage(tmp_path_factory.mktemp("storage")),
        Resource("regex"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    featurizer.train(nlu_data)
    names = [pattern["name"] for pattern in featurizer.known_patterns]
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())

    def fired(text: str) -> set[str]:
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        featurizer.process([message])
        _, sentence = message.get_sparse_features(TEXT)
        row = sentence.features.toarray()[0]
        return {name for name, value in zip(names, row, strict=True) if value}

    return fired


def test_every_group_is_in_the_trained_featurizer(featurize):
    assert set(GROUPS) <= featurize("pain tired mood brain cycle")


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("Why does my PAIN leave me so Drained", {"pain_word", "tired_word"}),
        ("why do my joints ache", {"pain_word"}),
        ("i ache and I'm completely worn out", {"pain_word", "tired_word"}),
        ("is my brain why everything hurts", {"nerve_word", "pain_word"}),
        ("it hurts more when I'm feeling down", {"pain_word", "mood_word"}),
        ("stuck in a loop of flares", {"cycle_word", "pain_word"}),
    ],
)
def test_word_groups_fire_whatever_the_case(featurize, text, groups):
    assert set(GROUPS) & featurize(text) == groups


def test_groups_match_whole_words_only(featurize):
    # "antidepressant" is not a mood word, "achievement" is not an ache, "painting" no pain.
    assert not set(GROUPS) & featurize("my antidepressant, my achievement and my painting")


def test_each_mechanism_topic_uses_its_own_group(featurize, nlu_data):
    """The groups exist to tell these topics from the pain-and-fatigue link; each topic's
    training examples must mostly carry its group, or the group teaches nothing."""
    expected = {
        "learn/neuro_link": "nerve_word",
        "learn/psych_link": "mood_word",
        "learn/vicious_cycle": "cycle_word",
    }
    for topic, group in expected.items():
        examples = [
            m.get(TEXT) for m in nlu_data.intent_examples if m.get_full_intent() == topic
        ]
        share = sum(group in featurize(text) for text in examples) / len(examples)
        assert share >= 0.5, (topic, round(share, 2))
