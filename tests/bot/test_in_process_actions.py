"""The learning answers run in Rasa's process (bot/in_process_actions.py) and answer
exactly as the action server would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

pytest.importorskip("rasa")

from tests.support.stack import ROOT, Stack  # noqa: E402

TOPICS = ("pain_fatigue_link", "sleep_link", "physical_therapy", "pacing")


def test_only_the_learn_module_runs_in_process_and_it_brings_no_io_along():
    from actions import learn
    from bot import in_process_actions

    defined = {cls().name() for cls in in_process_actions.concrete_actions(learn)}
    assert "action_answer_learn" in defined and "action_define_term" in defined
    assert in_process_actions.in_process_names() == defined
    # Importing it alone loads no API client, outbox or settings into Rasa's process.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, actions.learn; "
         "print(sorted(m for m in sys.modules if m.startswith('actions')))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert json.loads(loaded.replace("'", '"')) == ["actions", "actions.learn"]


def test_every_other_custom_action_still_goes_to_the_action_server():
    import rasa.core.actions.action as rasa_actions
    from rasa.core.actions.action import ActionBotResponse, RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    from bot import in_process_actions

    in_process_actions.apply()
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    server = EndpointConfig("http://127.0.0.1:5055/webhook", enable_selective_domain=True)
    custom = [name for name in domain.user_actions if not name.startswith("utter_")]
    assert len(custom) > 30
    for name in custom:
        action = rasa_actions.action_for_index(
            domain.action_names_or_texts.index(name), domain, server
        )
        assert type(action) is RemoteAction
        if name in in_process_actions.in_process_names():
            assert isinstance(action.action_endpoint, in_process_actions.InProcessEndpoint)
            assert action.action_endpoint.kwargs == {"enable_selective_domain": True}
        else:
            assert action.action_endpoint is server, name
    assert isinstance(
        rasa_actions.action_for_name_or_text("utter_greet", domain, server), ActionBotResponse
    )


def action_calls() -> list[dict]:
    """Requests as Rasa sends them: every in-process action, on trackers that lead to
    each kind of answer (a topic, the PEM question, a follow-up, no topic, a term)."""
    from bot import in_process_actions

    def call(action: str, slots: dict, text: str, intent: str, **latest) -> dict:
        return {
            "next_action": action,
            "sender_id": "someone",
            "version": "3.6.21",
            "tracker": {
                "sender_id": "someone",
                "slots": slots,
                "latest_message": {"text": text, "intent": {"name": intent}, "entities": [],
                                   **latest},
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": "action_listen",
                "latest_action": {"action_name": "action_listen"},
            },
        }

    calls = []
    for topic in TOPICS:
        selected = {"response_selector": {"learn": {"response": {
            "intent_response_key": f"learn/{topic}"}}}}
        for pem in (None, True, False):
            calls.append(call("action_answer_learn", {"pem": pem}, "why", "learn", **selected))
        for name in sorted(in_process_actions.in_process_names()):
            calls.append(call(name, {"topic": topic, "pem": None, "pem_pending": "answer"},
                              "yes", "affirm"))
            calls.append(call(name, {}, "tell me more", "learn_more"))
    calls.append(call("action_define_term", {}, "what is cortisol", "define_term",
                      entities=[{"entity": "term", "value": "cortisol"}]))
    return calls


@pytest.fixture(scope="module")
def action_server():
    stack = Stack()
    stack.define()
    process = stack.processes["actions"]
    process.start()
    process.wait_ready()
    yield stack
    stack.stop()


async def test_in_process_replies_equal_the_action_servers(action_server):
    from bot import in_process_actions

    url = f"{action_server.actions_url}/webhook"
    token = {"token": action_server.secrets["ACTIONS_TOKEN"]}
    calls = action_calls()
    assert len(calls) > 40
    for request in calls:
        over_http = requests.post(url, params=token, json=request, timeout=10)
        over_http.raise_for_status()
        here = await in_process_actions.InProcessEndpoint({}).request(json=request)
        assert here == over_http.json(), request["next_action"]
        assert here["responses"], request["next_action"]  # every call says something
