"""Rasa's per-turn shortcuts (bot/rasa_speedups.py) give exactly what Rasa's code gives."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.shared.core.events import Event  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from scipy import sparse  # noqa: E402

from bot import rasa_speedups  # noqa: E402

rasa_speedups.apply()
# Rasa's own functions, as they were before `apply` replaced them.
RASA_COMBINE = rasa_speedups._rasa_combine_features
RASA_RESOLVE = rasa_speedups._rasa_resolve_by_type


def test_the_comparisons_below_are_with_rasas_own_code():
    assert RASA_COMBINE.__module__ == "rasa.shared.nlu.training_data.message"
    assert RASA_RESOLVE.__module__ == "rasa.shared.core.events"
    assert Event.resolve_by_type is rasa_speedups.resolve_event_type


def featurizer_outputs(seed: int, rows: int) -> list[Features]:
    """Sparse features shaped like the four featurizers' (regex, lexical, words, chars)."""
    rng = np.random.default_rng(seed)
    return [
        Features(
            sparse.random(rows, width, density=0.05, format="coo", random_state=rng),
            "sequence", "text", origin,
        )
        for width, origin in ((12, "regex"), (300, "lexical"), (1500, "words"), (9000, "chars"))
    ]


@pytest.mark.parametrize("seed", range(20))
def test_sparse_features_are_joined_into_the_same_matrix_as_rasas(seed):
    features = featurizer_outputs(seed, rows=1 + seed % 9)
    expected = RASA_COMBINE(features, ["all"])
    got = rasa_speedups.combine_features(features, ["all"])
    assert got.is_sparse() and got.features.format == expected.features.format == "coo"
    assert got.features.shape == expected.features.shape
    assert (got.features != expected.features).nnz == 0
    assert (got.type, got.attribute, got.origin) == (expected.type, expected.attribute, ["all"])


def test_joining_leaves_the_featurizers_own_features_untouched():
    features = featurizer_outputs(1, rows=4)
    before = [f.features.toarray() for f in features]
    combined = rasa_speedups.combine_features(features, ["all"])
    combined.features.data[:] = 0
    assert all((f.features.toarray() == b).all() for f, b in zip(features, before, strict=True))


def test_dense_features_and_a_single_featurizer_match_rasa():
    dense = [Features(np.arange(6.0).reshape(1, 6) * k, "sentence", "text", str(k))
             for k in (1, 2)]
    assert (rasa_speedups.combine_features(dense, []).features
            == RASA_COMBINE(dense, []).features).all()
    one = featurizer_outputs(3, rows=2)[:1]
    assert (rasa_speedups.combine_features(one, ["x"]).features.toarray()
            == RASA_COMBINE(one, ["x"]).features.toarray()).all()
    assert rasa_speedups.combine_features([], []) is None is RASA_COMBINE([], [])


def test_features_that_do_not_fit_together_are_refused_as_rasa_refuses_them():
    short, long = featurizer_outputs(1, rows=2)[0], featurizer_outputs(1, rows=3)[1]
    with pytest.raises(ValueError, match="sequence dimensions do not match: 2 != 3"):
        rasa_speedups.combine_features([short, long], [])
    dense = Features(np.ones((2, 3)), "sequence", "text", "dense")
    with pytest.raises(ValueError, match="sparse and dense"):
        rasa_speedups.combine_features([short, dense], [])


def test_every_event_type_resolves_to_rasas_class():
    import rasa.shared.utils.common

    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is RASA_RESOLVE(name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_rebuilt_from_stored_events_is_the_same():
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("pem", True),
              ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]
    stored = [event.as_dict() for event in events]
    rebuilt = DialogueStateTracker.from_dict("someone", stored)
    assert list(rebuilt.events) == events
