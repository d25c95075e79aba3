"""Rasa's endpoints.yml as bot/endpoints.py writes it: what each setting makes Rasa do."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from bot.endpoints import endpoints  # noqa: E402


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load("bot/domain")


def action_call(name: str, domain: Domain, env: dict[str, str]) -> dict:
    config = endpoints(env)["action_endpoint"]
    endpoint = EndpointConfig.from_dict(config)
    tracker = DialogueStateTracker("someone", domain.slots)
    return RemoteAction(name, endpoint)._action_call_format(tracker, domain)


def test_answers_are_asked_for_without_the_whole_domain(domain):
    call = action_call("action_answer_learn", domain, {})
    assert "domain" not in call
    assert call["next_action"] == "action_answer_learn" and "tracker" in call


@pytest.mark.parametrize("validator", ["validate_checkin_form", "validate_weekly_form"])
def test_form_validators_still_get_the_domain_they_read_their_slots_from(domain, validator):
    call = action_call(validator, domain, {})
    assert validator in domain.user_actions
    assert call["domain"]["forms"]  # FormValidationAction reads required_slots from here


def test_the_action_server_token_goes_with_every_call():
    config = endpoints({"ACTIONS_TOKEN": "s3cret", "ACTIONS_URL": "http://10.0.0.2:5055/webhook"})
    assert config["action_endpoint"] == {
        "url": "http://10.0.0.2:5055/webhook",
        "enable_selective_domain": True,
        "token": "s3cret",
    }


def test_the_written_endpoints_file_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    import stat
    import sys

    from bot import endpoints as module

    output = tmp_path / "endpoints.yml"
    output.write_text("old")
    output.chmod(0o644)  # a file from before keeps no wider mode
    monkeypatch.setenv("ACTIONS_TOKEN", "t" * 32)
    monkeypatch.setattr(sys, "argv", ["endpoints", str(output)])
    module.main()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert "t" * 32 in output.read_text()
