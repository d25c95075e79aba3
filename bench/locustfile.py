"""Locust users for the load benchmark (bench/load.py runs this headless).

CadenceUser holds real conversations through the gateway: learning questions and full
check-ins by buttons. StarterBotUser talks to the stock `rasa init` bot's REST channel with
the conversation that bot was built for, as the baseline.
"""

from __future__ import annotations

import random
import uuid

from locust import HttpUser, between, task

QUESTIONS = [
    "why does pain make me so tired?",
    "what is pacing",
    "how does sleep affect pain",
    "can stress make my pain worse",
    "what is fibromyalgia",
    "does inflammation cause fatigue",
    "hello",
    "what can you do",
]


class CadenceUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        token = self.client.post("/api/v1/sessions", name="session").json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    def send(self, body: dict, name: str) -> None:
        with self.client.post("/api/v1/chat", json=body, name=name, catch_response=True) as r:
            if r.status_code != 200 or not r.json().get("messages"):
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(2)
    def ask(self) -> None:
        self.send({"message": random.choice(QUESTIONS)}, "faq")

    @task(1)
    def check_in(self) -> None:
        self.send({"message": "I'd like to do a check-in"}, "checkin start")
        for _ in range(4):
            self.send({"payload": f'/inform{{"score": {random.randint(0, 10)}}}'}, "checkin step")
        self.send({"payload": "/deny"}, "checkin final")


class StarterBotUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.sender = str(uuid.uuid4())

    def send(self, text: str, name: str) -> None:
        with self.client.post("/webhooks/rest/webhook", json={"sender": self.sender,
                                                              "message": text},
                              name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(2)
    def ask(self) -> None:
        self.send(random.choice(["hello", "are you a bot?", "bye"]), "faq")

    @task(1)
    def mood(self) -> None:
        for text in ("hi", "I am sad", "yes", "great", "goodbye", "thanks"):
            self.send(text, "conversation")
