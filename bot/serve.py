"""Start the Rasa server (`python -m bot.serve run ...`, the same arguments as `rasa`).

It is `rasa` itself, with run-time defaults and one fix applied first.

TensorFlow defaults, measured through the gateway (bench/RESULTS.md): one thread per op
(the models are small, so handing work between threads costs more than it saves, and
under load the other core serves another request) and oneDNN off (it reserved about
160 MB more and was not faster for these models). FAQ turn p50 67.8 → 59.6 ms, p95
82.7 → 64.5 ms, resident memory 1713 → 1550 MB. The environment can still override them.

The fix: Rasa 3.6 checks every action server reply with `jsonschema.validate(reply,
schema)`, which re-validates the (constant) schema against the JSON Schema meta-schema on
every call: ~20 ms of CPU per custom action on this machine, and every turn runs two to
four of them. Profiling a FAQ turn (py-spy) put
half of Rasa's CPU time there. Here the validator is built once; replies are checked
against the same schema and a bad reply fails with the same error as before.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Any

TF_DEFAULTS = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_ENABLE_ONEDNN_OPTS": "0",
}


@cache
def _reply_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


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


def apply_fixes() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def main() -> None:
    for name, value in TF_DEFAULTS.items():  # before TensorFlow is imported
        os.environ.setdefault(name, value)
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
