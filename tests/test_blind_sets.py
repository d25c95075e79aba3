"""No message of a blind or development set is ever trained on."""

from __future__ import annotations

from tests.support.blind_sets import (
    SAFETY_SETS,
    nlu_blind_examples,
    safety_set_texts,
    text_key,
    trained_keys,
)


def test_no_blind_or_development_message_is_in_the_training_data() -> None:
    # tests/safety_blind/ and tests/nlu_blind/ are for reporting only, and tests/safety_dev/
    # for choices: the moment one of their messages is trained on (NLU examples of any
    # intent, or the safety corpus), their figures stop meaning "unseen wording".
    assert len(SAFETY_SETS) >= 3
    trained = trained_keys()
    texts = safety_set_texts() + [text for _, text in nlu_blind_examples()]
    assert [text for text in texts if text_key(text) in trained] == []
