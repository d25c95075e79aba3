"""Three of Rasa 3.6's per-turn costs, done the cheap way with the same results.

Found by profiling Rasa (py-spy) while it answered FAQ turns through the gateway, and
under load (bench/load.py):

- Feature combining. DIET and the ResponseSelector each join the sparse features of the
  four featurizers (regex, lexical, word and character counts) by `hstack`-ing them two
  at a time, each through scipy's general block-matrix code, after a deep copy: ten joins
  a turn (sequence and sentence features, for each of the two models). Combining four
  featurizers' matrices took ~380 µs on this machine; one concatenation of the COO arrays
  gives the same matrix in ~45 µs (tests/bot/test_rasa_speedups.py compares them element
  by element).
- Event types. Rebuilding a tracker from the tracker store looks up each stored event's
  class by walking every subclass of `Event` (with an `inspect.isabstract` check each):
  4 % of Rasa's CPU time. The classes are looked up once, in Rasa's order, and a name not
  seen then is still resolved Rasa's way.
- Calling the models. DIET and the ResponseSelector each run their traced prediction graph
  once a turn through `tf.function`, which first matches the inputs against its signature
  again and looks the graph up in its cache: ~1.4 ms a turn for the two models, for a
  graph that never changes (Rasa traces it once, with a fixed input signature). The
  inputs are converted and checked as tf.function does, and the graph is called directly
  (`ConcreteFunction._call_flat`: TensorFlow is pinned to 2.12 by Rasa 3.6).
  tests/bot/test_serve.py compares every output with Rasa's own call.

The tracker store's costs are fixed in its own class, bot/tracker_store.py.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Imported here rather than in the functions below, which run several times a turn. None
# of these imports TensorFlow (bot/serve.py sets its options before that happens).
import numpy as np
from rasa.shared.nlu.training_data.features import Features
from scipy.sparse import coo_matrix


def combine_features(features: list[Any], featurizers: list[str]) -> Any:
    """`Message._combine_features`: the features of several featurizers side by side."""
    if not features:
        return None
    first = features[0]
    if any(f.is_sparse() != first.is_sparse() for f in features):
        raise ValueError("Cannot combine sparse and dense features.")
    # The same checks as Rasa's pairwise combining, with its messages.
    for f in features[1:]:
        if _dimension(f) != _dimension(first):
            kind = "sparse" if first.is_sparse() else "dense"
            raise ValueError(
                f"Cannot combine {kind} features as sequence dimensions do not match: "
                f"{_dimension(first)} != {_dimension(f)}."
            )
    if first.is_sparse():
        matrix = _hstack_coo([f.features.tocoo() for f in features])
    else:
        matrix = np.concatenate([f.features for f in features], axis=-1)
    return Features(matrix, first.type, first.attribute, featurizers)


def _dimension(features: Any) -> int:
    """What Rasa requires to match: sparse rows (tokens), dense number of axes."""
    return features.features.shape[0] if features.is_sparse() else features.features.ndim


def _hstack_coo(blocks: list[Any]) -> Any:
    widths = [block.shape[1] for block in blocks]
    offsets = np.cumsum([0, *widths[:-1]])
    data = np.concatenate([block.data for block in blocks])
    rows = np.concatenate([block.row for block in blocks])
    cols = np.concatenate(
        [block.col + offset for block, offset in zip(blocks, offsets, strict=True)]
    )
    return coo_matrix((data, (rows, cols)), shape=(blocks[0].shape[0], sum(widths)))


@cache
def _event_classes() -> dict[str, type]:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    classes: dict[str, type] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # the first wins, as in Rasa's loop
    return classes


def resolve_event_type(type_name: str, default: type | None = None) -> type | None:
    """`Event.resolve_by_type` from a table built once."""
    found = _event_classes().get(type_name)
    return found if found is not None else _rasa_resolve_by_type(type_name, default)


def rasa_predict(self: Any, batch_in: Any) -> dict[str, Any]:
    """`RasaModel._rasa_predict` calling its traced graph directly."""
    step = self._tf_predict_step
    if self._run_eagerly or step is None or not self.prepared_for_prediction:
        return _rasa_rasa_predict(self, batch_in)  # the first call traces, as Rasa's does
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    cached = self.__dict__.get("_traced_graph")
    if cached is None or cached[0] is not step:  # traced again (e.g. after loading weights)
        graph = step.get_concrete_function()
        cached = (step, graph, graph.structured_input_signature[0][0])
        self.__dict__["_traced_graph"] = cached
    _, graph, specs = cached
    if len(batch_in) != len(specs):
        return _rasa_rasa_predict(self, batch_in)
    # What tf.function does with inputs (cast_inputs_to_signature), minus its dispatch.
    tensors = []
    for value, spec in zip(batch_in, specs, strict=True):
        tensor = tf.convert_to_tensor(value, dtype_hint=spec.dtype)
        if not spec.is_compatible_with(tensor):
            return _rasa_rasa_predict(self, batch_in)  # Rasa's own error for a bad batch
        tensors.append(tensor)
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(
        graph._call_flat(tensors, captured_inputs=graph.captured_inputs)
    )
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


# Rasa's own functions, kept when they are replaced (the tests compare against them).
_rasa_resolve_by_type: Any = None
_rasa_combine_features: Any = None
_rasa_rasa_predict: Any = None


def apply() -> None:
    """Put these in place of Rasa's own. Imports TensorFlow: set its options first."""
    global _rasa_resolve_by_type, _rasa_combine_features, _rasa_rasa_predict
    if _rasa_resolve_by_type is not None:
        return  # already applied
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message
    from rasa.utils.tensorflow.models import RasaModel

    _rasa_combine_features = Message._combine_features
    Message._combine_features = staticmethod(combine_features)  # type: ignore[method-assign]
    _rasa_resolve_by_type = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign]
    _rasa_rasa_predict = RasaModel._rasa_predict
    RasaModel._rasa_predict = rasa_predict  # type: ignore[method-assign]
