"""Start the Rasa server (`python -m bot.serve run ...`, the same arguments as `rasa`).

It is `rasa` itself, with run-time defaults and four changes applied first, each found by
profiling Rasa (py-spy) and each tested to give Rasa's own results. The tracker store's
fixes are in a class of its own, bot/tracker_store.py, which endpoints.yml names.

TensorFlow defaults, measured through the gateway (bench/RESULTS.md): one thread per op
(the models are small, so handing work between threads costs more than it saves, and
under load the other core serves another request) and oneDNN off (it reserved about
160 MB more and was not faster for these models). FAQ turn p50 67.8 → 59.6 ms, p95
82.7 → 64.5 ms, resident memory 1713 → 1550 MB. The environment can still override them.

1. Action replies: Rasa 3.6 checks every action server reply with `jsonschema.validate(
   reply, schema)`, which re-validates the (constant) schema against the JSON Schema
   meta-schema on every call: ~20 ms of CPU per custom action on this machine, half of
   Rasa's CPU time on a FAQ turn. Here the validators are built once; a bad reply fails
   with the same ValidationError as before. The schema says each event is `oneOf` 23
   kinds, each pinned by a distinct `event` constant, so jsonschema tried every kind on
   every event (0.5 ms an event); each event is checked against its own kind instead,
   which accepts and rejects exactly the same events.
2. Loading: to load DIET and the ResponseSelector (and TED), Rasa 3.6 (`RasaModel.load`)
   first trains each for one step on one example, only to create the variables, then
   loads the trained weights over them. That step traces the whole training graph
   (losses, the CRF, the optimizer) and keeps it: on this machine 700 MB of Rasa's 1.6 GB
   and half of its start-up time. `_load_for_prediction` creates the variables with a
   prediction instead. tests/bot/test_serve.py loads the trained model both ways and
   compares every variable and every output. Fine-tuning (`rasa train --finetune`) keeps
   Rasa's load.
3. Per-turn NLU work: see bot/rasa_speedups.py.
4. The learning answers run in this process rather than on the action server: see
   bot/in_process_actions.py.

Secrets never go on the command line, where every account on the machine can read them
(`ps`, /proc/<pid>/cmdline): `--auth-token`, `--jwt-secret` and `--ssl-password` are
refused. Chat needs no option (bot/channels.py reads RASA_TOKEN itself); should someone
start Rasa's HTTP API (`--enable-api`, which Cadence does not use), its token is
RASA_TOKEN from the environment, handed to Rasa's argument parser inside this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

TF_DEFAULTS = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_ENABLE_ONEDNN_OPTS": "0",
}


@dataclass(frozen=True)
class ReplyValidator:
    """Rasa's action reply schema, with each event checked against the one kind its
    `event` names (see the module docstring)."""

    reply: Any  # the reply without its events' `oneOf`
    any_event: Any  # Rasa's event schema as it is: for events of no known kind
    event_of_kind: dict[str, Any]

    def validate(self, reply: Any) -> None:
        self.reply.validate(reply)
        for event in reply.get("events") or []:  # objects: `self.reply` checked that
            kind = event.get("event")
            validator = self.event_of_kind.get(kind) if isinstance(kind, str) else None
            (validator or self.any_event).validate(event)


@cache
def _reply_validator() -> ReplyValidator:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    event_schema = schema["properties"]["events"]["items"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    kinds = {kind["properties"]["event"]["const"]: kind for kind in event_schema["oneOf"]}
    if len(kinds) != len(event_schema["oneOf"]):  # then `oneOf` would mean more than this
        raise RuntimeError("Rasa's event kinds are no longer told apart by `event` alone")
    events = {**schema["properties"]["events"], "items": {"type": "object"}}
    return ReplyValidator(
        reply=cls({**schema, "properties": {**schema["properties"], "events": events}}),
        any_event=cls(event_schema),
        event_of_kind={name: cls({"allOf": [common, kind]}) for name, kind in kinds.items()},
    )


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _reply_validator().validate(result)
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def _load_for_prediction(
    cls: Any,
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """`RasaModel.load` without its training step (see the module docstring)."""
    from rasa.utils.tensorflow.constants import RUN_EAGERLY

    if finetune_mode or predict_data_example is None:
        return _rasa_load(
            cls,
            model_file_name,
            model_data_example,
            predict_data_example,
            finetune_mode,
            *args,
            **kwargs,
        )
    model = cls(*args, **kwargs)
    model._run_eagerly = kwargs.get("config", {}).get(RUN_EAGERLY)
    # A first prediction creates every variable that prediction uses ...
    model.run_inference(predict_data_example)
    # ... the trained values replace the initial ones (the optimizer's saved state has no
    # variable to go to: it only matters for further training) ...
    model.load_weights(model_file_name).expect_partial()
    # ... and what prediction computed once from the initial values (the label embeddings,
    # captured by value in the traced graph) is computed again from the trained ones.
    model.prepared_for_prediction = False
    model._tf_predict_step = None
    model.run_inference(predict_data_example)
    return model


_rasa_load: Any = None


def apply_fixes() -> None:
    global _rasa_load
    if _rasa_load is not None:
        return  # already applied
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.tensorflow.models import RasaModel

    from bot import in_process_actions, rasa_speedups

    rasa_speedups.apply()
    in_process_actions.apply()
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _rasa_load = RasaModel.load.__func__  # type: ignore[attr-defined]
    RasaModel.load = classmethod(_load_for_prediction)  # type: ignore[assignment,method-assign]


def prepare() -> None:
    """Everything before Rasa is imported: the TensorFlow defaults, then the fixes. For
    any process that runs the trained model (the server, the benchmarks)."""
    for name, value in TF_DEFAULTS.items():  # before TensorFlow is imported
        os.environ.setdefault(name, value)
    # TensorFlow imports JAX, when installed, for a TFLite converter Rasa never uses; its
    # import is optional (try/except ImportError) and costs 80 MB and a second at start.
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]
    apply_fixes()


# Rasa's options that take a secret (see the module docstring).
SECRET_OPTIONS = ("--auth-token", "--jwt-secret", "--ssl-password")


def _names(option: str, argv: list[str]) -> list[str]:
    """The arguments that name `option`, whole or by a prefix argparse would accept."""
    names = [arg.split("=", 1)[0] for arg in argv if arg.startswith("--")]
    return [name for name in names if len(name) > 2 and option.startswith(name)]


def argv_with_secrets(argv: list[str], env: Mapping[str, str]) -> list[str]:
    """Rasa's arguments with the HTTP API's token from RASA_TOKEN; exits if a secret was
    given on the command line or the HTTP API would run without a token."""
    for option in SECRET_OPTIONS:
        for given in _names(option, argv):
            raise SystemExit(
                f"{given} on the command line is readable by every account on this machine "
                "(ps); set RASA_TOKEN in the environment instead"
            )
    if argv[:1] != ["run"] or not _names("--enable-api", argv):
        return argv
    token = env.get("RASA_TOKEN", "").strip()
    if not token:
        raise SystemExit(
            "--enable-api needs RASA_TOKEN in the environment, or Rasa's HTTP "
            "API would answer anyone"
        )
    # "--opt=value": a token may start with "-", which argparse would take for an option.
    return [*argv, f"--auth-token={token}"]


def main() -> None:
    # sys.argv is this process's own copy: what `ps` shows stays as it was started.
    sys.argv = ["rasa", *argv_with_secrets(sys.argv[1:], os.environ)]
    prepare()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
