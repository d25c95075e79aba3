"""The Rasa launcher's fix: action replies are still validated, only faster."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")


def test_replies_are_checked_against_rasas_schema_by_a_validator_built_once():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from bot import serve

    serve.apply_fixes()
    action = RemoteAction("action_anything", None)
    good = {"events": [{"event": "slot", "name": "topic", "value": "sleep_link"}],
            "responses": [{"text": "hi", "buttons": [{"title": "a", "payload": "/b"}]}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
    assert serve._reply_validator() is serve._reply_validator()
