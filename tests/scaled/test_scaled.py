"""Scaled out: PostgreSQL for the API and the tracker store, Redis lock store, two Rasa
instances, two action servers, several API instances — one consistent conversation."""

from __future__ import annotations

import pytest
import requests

from tests.support.services import available
from tests.support.stack import ChatClient

ok, why = available()
pytestmark = [pytest.mark.scaled, pytest.mark.skipif(not ok, reason=why)]


@pytest.fixture(scope="module")
def scaled():
    from tests.support.scaled import ScaledStack

    stack = ScaledStack().start()
    yield stack
    stack.stop()


class Alternating(ChatClient):
    """One user whose consecutive turns go through different API and Rasa instances."""

    def __init__(self, stack) -> None:
        super().__init__(stack.url("api_a"))
        self.urls = [stack.url("api_a"), stack.url("api_b")]
        self.turn = 0

    def _send(self, body: dict) -> list[dict]:
        self.api_url = self.urls[self.turn % 2]
        self.turn += 1
        return super()._send(body)


def test_a_checkin_across_instances_is_stored_once(scaled):
    chat = Alternating(scaled)
    chat.say("I'd like to do a check-in")  # api_a → rasa_a
    for score in (6, 7, 3, 5):  # b, a, b, a
        chat.click(f'/inform{{"score": {score}}}')
    assert "Saved" in chat.text(), chat.last
    chat.click("/deny")  # b
    rows = requests.get(f"{scaled.api_url}/api/v1/me/checkins", headers=chat.http.headers,
                        timeout=10).json()
    assert [(r["pain"], r["fatigue"], r["sleep_quality"], r["stress"]) for r in rows] == [
        (6, 7, 3, 5)
    ]


def test_transcript_is_the_same_through_every_api_instance(scaled):
    chat = Alternating(scaled)
    chat.say("hello")
    chat.click_title("Do a check-in")
    seen = [
        requests.get(f"{scaled.url(name)}/api/v1/me/conversation", headers=chat.http.headers,
                     timeout=10).json()
        for name in ("api_a", "api_b", "api_lb")
    ]
    assert seen[0] == seen[1] == seen[2]
    assert len(seen[0]["turns"]) >= 4


def test_killing_one_rasa_mid_conversation_loses_nothing(scaled):
    chat = ChatClient(scaled.api_url)  # through the balancing gateway
    chat.say("I'd like to do a check-in")
    chat.click('/inform{"score": 4}')
    scaled.processes["rasa_a"].stop()
    try:
        for score in (5, 6, 7):
            chat.click(f'/inform{{"score": {score}}}')
        assert "Saved" in chat.text(), chat.last
        chat.click("/deny")
    finally:
        scaled.restart("rasa_a")
    row = chat.get("/api/v1/me/checkins").json()[0]
    assert (row["pain"], row["fatigue"], row["sleep_quality"], row["stress"]) == (4, 5, 6, 7)


def test_erase_reaches_the_postgresql_tracker_store(scaled):
    import sqlalchemy

    chat = ChatClient(scaled.api_url)
    chat.say("hello")
    assert chat.http.delete(f"{scaled.api_url}/api/v1/me", timeout=30).status_code == 204
    engine = sqlalchemy.create_engine(scaled.postgres.url("rasa"))
    with engine.connect() as connection:
        left = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM events WHERE sender_id = :u"),
            {"u": chat.user_id},
        ).scalar()
    engine.dispose()
    assert left == 0
