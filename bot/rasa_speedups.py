"""Four of Rasa 3.6's per-turn costs, done the cheap way with the same results.

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
  graph that never changes (Rasa traces it once, with a fixed input signature). Rasa's
  own `_rasa_predict` still does everything around the call; only the traced function it
  calls is wrapped, so that the graph is called directly (`ConcreteFunction._call_flat`:
  TensorFlow is pinned to 2.12 by Rasa 3.6). tests/bot/test_serve.py compares every
  output with Rasa's own call.
- Running the graph. Each turn Rasa runs its NLU graph (14 nodes) and its policy graph
  through dask's scheduler, which plans the run again every time, for nodes that always
  run one after the other in this one thread. `InOrderGraphRunner` runs the same nodes
  in an order worked out once per set of targets: NLU parse 16.7 → 15.0 ms (in process,
  interleaved, 10 rounds of 40 messages). Training keeps dask.

The tracker store's costs are fixed in its own class, bot/tracker_store.py.
"""

from __future__ import annotations

import graphlib
from functools import cache
from typing import Any

# Imported here rather than in the functions below, which run several times a turn. None
# of these imports TensorFlow (bot/serve.py sets its options before that happens).
import numpy as np
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
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


class DirectGraphCall:
    """A traced `tf.function` with a fixed input signature, called without its dispatch.

    The inputs are converted and checked as tf.function does (`cast_inputs_to_signature`);
    anything that does not fit goes through the tf.function itself, for its own error.
    """

    def __init__(self, function: Any) -> None:
        import tensorflow as tf  # only once a model has traced its graph: TF is loaded

        self.function = function
        self._graph = function.get_concrete_function()
        # Fixed for the graph's life, so looked up once rather than on every turn.
        self._specs = self._graph.structured_input_signature[0][0]
        self._to_tensor = tf.convert_to_tensor

    def __call__(self, batch_in: Any) -> Any:
        specs = self._specs
        if len(batch_in) == len(specs):
            tensors = [
                self._to_tensor(value, dtype_hint=spec.dtype)
                for value, spec in zip(batch_in, specs, strict=True)
            ]
            if all(spec.is_compatible_with(t) for spec, t in zip(specs, tensors, strict=True)):
                graph = self._graph
                return graph._call_flat(tensors, captured_inputs=graph.captured_inputs)
        return self.function(batch_in)


def rasa_predict(self: Any, batch_in: Any) -> Any:
    """`RasaModel._rasa_predict`, calling the traced graph directly once Rasa has traced it
    (Rasa traces again after loading weights: the new function is wrapped in turn)."""
    step = self._tf_predict_step
    if step is not None and not isinstance(step, DirectGraphCall):
        self._tf_predict_step = DirectGraphCall(step)
    return _rasa_rasa_predict(self, batch_in)


class InOrderGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, without dask: the nodes a run needs, in an order where each
    comes after the nodes it needs, worked out once per set of targets. The nodes, their
    inputs and outputs are Rasa's own (the node instances are built by Rasa's runner)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], list[tuple[str, Any, tuple[str, ...]]]] = {}

    def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, Any, tuple[str, ...]]]:
        plans = self._plans
        if targets not in plans:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            needs = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
            order = graphlib.TopologicalSorter(
                {name: [n for n in parents if n in needs] for name, parents in needs.items()}
            ).static_order()
            plans[targets] = [(name, self._instantiated_nodes[name], needs[name]) for name in order]
        return plans[targets]

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> Any:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        # As dask got them: a node gets each input, and each parent's result, as a
        # (name, value) pair.
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none "
                    f"of the input names passed to the `run` method are the same as node "
                    f"names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, node, needs in plan:
                results[name] = node(*(results[parent] for parent in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)


# Rasa's own functions, kept when they are replaced (the tests compare against them).
_rasa_resolve_by_type: Any = None
_rasa_combine_features: Any = None
_rasa_rasa_predict: Any = None


def apply() -> None:
    """Put these in place of Rasa's own. Imports TensorFlow: set its options first."""
    global _rasa_resolve_by_type, _rasa_combine_features, _rasa_rasa_predict
    if _rasa_resolve_by_type is not None:
        return  # already applied
    import rasa.core.processor
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message
    from rasa.utils.tensorflow.models import RasaModel

    _rasa_combine_features = Message._combine_features
    Message._combine_features = staticmethod(combine_features)  # type: ignore[method-assign]
    _rasa_resolve_by_type = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign]
    _rasa_rasa_predict = RasaModel._rasa_predict
    RasaModel._rasa_predict = rasa_predict  # type: ignore[method-assign]
    # The processor loads the model with the runner this name holds when it loads.
    rasa.core.processor.DaskGraphRunner = InOrderGraphRunner  # type: ignore[misc]
