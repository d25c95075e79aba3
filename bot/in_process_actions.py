"""The learning answers run inside Rasa's process instead of on the action server.

An FAQ turn runs one custom action, the topic answer, and that action only reads
data/knowledge: no API, no database, no clock. Running it on the action server meant
turning the whole tracker into JSON, an HTTP round trip, and parsing JSON again on both
sides: about 4 ms of a 32 ms turn in Rasa (measured in process, bench/RESULTS.md). The
actions of `actions.learn` now run here, through rasa_sdk's own executor, with exactly
the request and the reply they get over HTTP; Rasa's `RemoteAction` still builds the
request, validates the reply and turns it into events, so nothing else changes. (Rasa
Pro 3.10 added the same thing, configured as `actions_module`.)

Every action that touches the user's records (check-ins, progress, techniques, safety
events, export and erase) stays on the action server, with its token, its service key
and its outbox.
"""

from __future__ import annotations

import inspect
from functools import cache
from types import ModuleType
from typing import Any

# The module whose actions run here: each must be pure (read-only, no I/O but the
# knowledge files). tests/bot/test_in_process_actions.py checks what it imports.
IN_PROCESS_MODULE = "actions.learn"


def concrete_actions(module: ModuleType) -> list[type]:
    """The actions a module defines itself (not the ones it imports, not abstract ones)."""
    from rasa_sdk import Action

    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Action)
        and cls.__module__ == module.__name__
        and not inspect.isabstract(cls)
    ]


@cache
def executor() -> Any:
    import importlib

    from rasa_sdk.executor import ActionExecutor

    # Not `register_package`: that registers every Action subclass imported anywhere.
    found = ActionExecutor()
    for cls in concrete_actions(importlib.import_module(IN_PROCESS_MODULE)):
        found.register_action(cls)
    return found


@cache  # asked on every custom action Rasa runs
def in_process_names() -> frozenset[str]:
    return frozenset(executor().actions)


class InProcessEndpoint:
    """Stands in for the action server's `EndpointConfig` where `RemoteAction` uses it:
    `request` runs the action here and returns what the action server would have."""

    url = "in-process"

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs  # e.g. enable_selective_domain, read by RemoteAction

    async def request(self, json: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
        from rasa.core.actions.action import ActionExecutionRejection
        from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

        try:
            reply = await executor().run(json or {})
        except SdkRejection as rejection:  # the action server answers these with a 400
            raise ActionExecutionRejection(rejection.action_name, rejection.message) from None
        return reply or {}


def action_for_name_or_text(name: str, domain: Any, action_endpoint: Any) -> Any:
    """Rasa's lookup, with the in-process actions given the in-process endpoint."""
    from rasa.core.actions.action import RemoteAction

    action = _rasa_action_for_name_or_text(name, domain, action_endpoint)
    if type(action) is RemoteAction and name in in_process_names():
        kwargs = dict(getattr(action_endpoint, "kwargs", None) or {})
        return RemoteAction(name, InProcessEndpoint(kwargs))
    return action


_rasa_action_for_name_or_text: Any = None


def apply() -> None:
    global _rasa_action_for_name_or_text
    if _rasa_action_for_name_or_text is not None:
        return  # already applied
    import rasa.core.actions.action as rasa_actions

    from bot.knowledge import load_glossary, load_topics

    executor()
    load_topics(), load_glossary()  # read the knowledge now, not in the first user's turn
    _rasa_action_for_name_or_text = rasa_actions.action_for_name_or_text
    # `action_for_index` and the processor look the function up on the module each time.
    rasa_actions.action_for_name_or_text = action_for_name_or_text
