"""The Rasa launcher's fixes (bot/serve.py, bot/rasa_speedups.py) give Rasa's own results."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

pytest.importorskip("rasa")


def test_replies_are_checked_against_rasas_schema_by_a_validator_built_once():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from bot import serve

    serve.apply_fixes()
    action = RemoteAction("action_anything", None)
    good = {
        "events": [{"event": "slot", "name": "topic", "value": "sleep_link"}],
        "responses": [{"text": "hi", "buttons": [{"title": "a", "payload": "/b"}]}],
    }
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
    assert serve._reply_validator() is serve._reply_validator()


def _events_of_every_kind() -> list[dict]:
    """One valid event of each kind in Rasa's reply schema, built from the schema itself,
    and variants that break it: each property set to each JSON type in turn, the kind
    misspelt or of the wrong type, the `event` key missing."""
    from rasa.core.actions.action import RemoteAction

    samples = {
        "string": "x",
        "number": 1.5,
        "integer": 2,
        "boolean": True,
        "null": None,
        "object": {"a": 1},
        "array": [1],
    }
    kinds = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    events = []
    for kind in kinds["oneOf"]:
        valid = {"event": kind["properties"]["event"]["const"], "timestamp": 1.0}
        events.append(valid)
        for name in [*kind["properties"], "timestamp", "metadata"]:
            for value in samples.values():
                events.append({**valid, name: value})
    events += [{"event": "no_such_kind"}, {"event": 3}, {"event": None}, {"name": "x"}, "slot", 7]
    return events


def test_each_event_is_checked_against_its_own_kind_with_the_verdicts_of_rasas_schema():
    """The per-kind check accepts and rejects exactly the events Rasa's `oneOf` does."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    from bot import serve

    schema = RemoteAction.action_response_format_spec()
    rasas_check = jsonschema.validators.validator_for(schema)(schema)  # what Rasa runs
    fast = serve._reply_validator()
    verdicts = {True: 0, False: 0}
    for event in _events_of_every_kind():
        reply = {"events": [event], "responses": []}
        rasa_accepts = rasas_check.is_valid(reply)
        try:
            fast.validate(reply)
            ours = True
        except jsonschema.ValidationError:
            ours = False
        assert ours is rasa_accepts, event
        verdicts[ours] += 1
    assert verdicts[True] > 100 and verdicts[False] > 100  # both verdicts are exercised


def _trained_tf_models(load) -> dict[str, tuple]:
    """DIET and the ResponseSelector of the trained model (models/), each loaded
    through `load` (a RasaModel.load function): name → (model, its prediction example)."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.utils.tensorflow.models import RasaModel

    archive = max(Path("models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    storage, metadata = LocalModelStorage.from_model_archive(Path(tempfile.mkdtemp()), archive)
    context = ExecutionContext(metadata.predict_schema, metadata.model_id)
    loaded: dict[str, tuple] = {}
    seen: list[tuple] = []

    def recording(cls, file_name, data_example, predict_example=None, *args, **kwargs):
        model = load(cls, file_name, data_example, predict_example, *args, **kwargs)
        seen.append((model, predict_example))
        return model

    original = RasaModel.__dict__["load"]
    RasaModel.load = classmethod(recording)
    try:
        for node in metadata.predict_schema.nodes.values():
            if node.uses.__name__ in ("DIETClassifier", "ResponseSelector", "TEDPolicy"):
                seen.clear()
                config = {**node.uses.get_default_config(), **node.config}
                node.uses.load(config, storage, node.resource, context)
                loaded[node.uses.__name__] = seen[0]
    finally:
        RasaModel.load = original
    return loaded


def _flat(tree: dict, prefix: str = ""):
    """A model's nested outputs as (dotted key, array) pairs."""
    import numpy as np

    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        elif value is not None:
            yield prefix + key, np.asarray(value, dtype=float)


def _outputs(model, example) -> dict:
    return dict(_flat(model.run_inference(example)))


def _trained_weights(model) -> list[tuple]:
    """Every trained variable's shape and bytes (Rasa's load also holds optimizer state)."""
    return sorted(
        (tuple(w.shape), w.numpy().tobytes())
        for w in model.weights
        if "optimizer" not in w.name.lower()
    )


def test_loading_without_rasas_training_step_gives_rasas_own_weights_and_outputs():
    import numpy as np

    from bot import serve

    serve.apply_fixes()
    rasas = _trained_tf_models(serve._rasa_load)
    ours = _trained_tf_models(serve._load_for_prediction)
    assert set(rasas) == set(ours) == {"DIETClassifier", "ResponseSelector"}
    for name, (rasa_model, example) in rasas.items():
        our_model = ours[name][0]
        assert _trained_weights(our_model) == _trained_weights(rasa_model), name
        expected, got = _outputs(rasa_model, example), _outputs(our_model, example)
        assert expected.keys() == got.keys(), name
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=f"{name} {key}")


def test_calling_the_traced_graph_directly_gives_rasas_own_predictions(monkeypatch):
    """bot/rasa_speedups.py calls each model's traced graph without tf.function's
    dispatch. For messages of different lengths, every output is Rasa's, bit for bit."""
    import asyncio

    import numpy as np
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from bot import rasa_speedups, serve

    serve.apply_fixes()
    assert RasaModel._rasa_predict is rasa_speedups.rasa_predict
    archive = max(Path("models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(archive))
    batches: list[tuple] = []

    def recording(model, batch):
        batches.append((model, batch))
        return rasa_speedups.rasa_predict(model, batch)

    RasaModel._rasa_predict = recording
    try:
        for text in (
            "hi",
            "what is cortisol?",
            "why does my pain leave me so wiped out "
            "every single afternoon, even on days when I have barely done anything",
        ):
            asyncio.run(agent.parse_message(text))
    finally:
        RasaModel._rasa_predict = rasa_speedups.rasa_predict
    models = {type(model).__name__ for model, _ in batches}
    assert len(models) == 2 and len(batches) == 6, models  # DIET and the ResponseSelector
    for model, batch in batches:
        direct = model._tf_predict_step
        assert isinstance(direct, rasa_speedups.DirectGraphCall)
        with monkeypatch.context() as patch:  # the direct call, with no way back to Rasa's
            patch.setattr(direct, "function", None)
            got = dict(_flat(rasa_speedups.rasa_predict(model, batch)))
        with monkeypatch.context() as patch:  # Rasa's own call, through its tf.function
            patch.setattr(model, "_tf_predict_step", direct.function)
            expected = dict(_flat(rasa_speedups._rasa_rasa_predict(model, batch)))
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_the_graph_run_in_order_gives_dasks_results_for_nlu_and_policies():
    """Rasa loads the model with bot/rasa_speedups.py's in-order runner; for parses and for
    next-action predictions along a conversation, it gives what Rasa's dask runner gives."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered

    from bot import rasa_speedups, serve

    serve.apply_fixes()
    archive = max(Path("models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(archive))
    processor = agent.processor
    ours = processor.graph_runner
    assert type(ours) is rasa_speedups.InOrderGraphRunner
    dask = DaskGraphRunner.__new__(DaskGraphRunner)
    dask.__dict__.update({k: v for k, v in ours.__dict__.items() if k != "_plans"})

    def with_runner(runner, call, *args):
        processor.graph_runner = runner
        try:
            return call(*args)
        finally:
            processor.graph_runner = ours

    def parse(text):
        return asyncio.run(processor.parse_message(UserMessage(text)))

    texts = ["hi", "why does pain make me so tired?", "7", "I want to kill myself",
             "/start_checkin", "what is cortisol", "asdf qwer"]
    tracker = processor.tracker_store.init_tracker("someone")
    for text in texts:
        parsed = with_runner(ours, parse, text)
        assert parsed == with_runner(dask, parse, text), text
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        prediction = with_runner(ours, processor._predict_next_with_tracker, tracker)
        expected = with_runner(dask, processor._predict_next_with_tracker, tracker)
        assert prediction.probabilities == expected.probabilities, text
        assert prediction.policy_name == expected.policy_name, text
        name = processor.domain.action_names_or_texts[prediction.max_confidence_index]
        tracker.update(ActionExecuted(name))
        tracker.update(ActionExecuted("action_listen"))


RUN = ["run", "--model", "models", "--credentials", "bot/credentials.yml"]


@pytest.mark.parametrize(
    "secret",
    [["--auth-token", "s3cret"], ["--auth-token=s3cret"], ["--auth-t=s3cret"],
     ["--jwt-secret", "s3cret"], ["--ssl-password=s3cret"]],
)
def test_a_secret_on_the_command_line_is_refused(secret):
    from bot.serve import argv_with_secrets

    with pytest.raises(SystemExit, match="readable by every account") as refused:
        argv_with_secrets([*RUN, "--enable-api", *secret], {"RASA_TOKEN": "t"})
    assert "s3cret" not in str(refused.value)


def test_the_http_api_gets_its_token_from_the_environment_in_process():
    from bot.serve import argv_with_secrets

    assert argv_with_secrets(RUN, {"RASA_TOKEN": "-tok"}) == RUN  # chat needs no option
    assert argv_with_secrets([*RUN, "--enable-api"], {"RASA_TOKEN": "-tok"}) == [
        *RUN, "--enable-api", "--auth-token=-tok"
    ]
    with pytest.raises(SystemExit, match="needs RASA_TOKEN"):
        argv_with_secrets([*RUN, "--enable-api"], {"RASA_TOKEN": " "})
