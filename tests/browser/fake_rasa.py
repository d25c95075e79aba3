# ruff: noqa: E501  (dev aid: long canned bot lines)
"""DEV AID ONLY — a tiny stand-in for Rasa's REST webhook, for working on the widget
without training a model. The committed browser tests never use it: they run against
the real stack (the `stack` fixture in tests/conftest.py).

    SERVICE_KEY=dev API_URL=http://127.0.0.1:8766 python tests/browser/fake_rasa.py 5099
    RASA_URLS=http://127.0.0.1:5099 SERVICE_KEY=dev .venv-api/bin/uvicorn api.main:app --port 8765
    SERVICE_KEY=dev INTERNAL_API_PORT=8766 .venv-api/bin/python -m api.internal_main

It runs a four-question check-in with 0–10 buttons, stores the result through the API's
internal listener (as the action server does), and answers "help"/"crisis" words with a
helplines card.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_URL = os.environ.get("API_URL", "http://127.0.0.1:8766")  # the API's internal listener
SERVICE_KEY = os.environ.get("SERVICE_KEY", "dev")

QUESTIONS = [
    (
        "pain",
        "On a scale of 0 to 10, how bad is your pain right now? 0 is no pain, 10 is as bad as you can imagine.",
    ),
    ("fatigue", "And your fatigue, from 0 (none) to 10 (worst imaginable)?"),
    ("sleep_quality", "How well did you sleep last night? 0 is terrible, 10 is excellent."),
    ("stress", "How stressed do you feel today, from 0 to 10?"),
]
SCALE = [{"title": str(n), "payload": f'/inform{{"score": {n}}}'} for n in range(11)]
MENU = [
    {"title": "Start a check-in", "payload": "/start_checkin"},
    {"title": "Suggest a technique", "payload": "/ask_technique"},
    {"title": "Show my progress", "payload": "/show_progress"},
]
HELPLINES = {
    "type": "helplines",
    "country": "GB",
    "contacts": [
        {"name": "Emergency services", "call": "999"},
        {"name": "Samaritans", "call": "116 123", "notes": "Free, 24/7"},
        {"name": "Shout", "text": "SHOUT to 85258", "notes": "Free, 24/7 text support"},
    ],
}

state: dict[str, dict] = {}


def store_checkin(sender: str, values: dict) -> None:
    body = json.dumps({"user_id": sender, "idempotency_key": str(uuid.uuid4()), **values}).encode()
    request = urllib.request.Request(
        f"{API_URL}/api/v1/internal/checkins",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Service-Key": SERVICE_KEY},
    )
    urllib.request.urlopen(request, timeout=5).read()


def answer(sender: str, message: str) -> list[dict]:
    user = state.setdefault(sender, {"step": None, "values": {}})
    text = message.lstrip("\u2060").strip()
    score = re.fullmatch(r'/inform\{"score": (\d+)\}', text)
    if text == "/restart":
        state.pop(sender, None)
        return []
    if re.search(r"kill myself|suicid|end it|crisis", text, re.I):
        return [
            {
                "text": "Thank you for telling me. Are you safe right now? You can reach someone now:"
            },
            {"custom": HELPLINES},
        ]
    if re.search(r"download", text, re.I):
        return [
            {
                "text": "Here's your data: a CSV of every check-in, and a one-page PDF summary.",
                "custom": {
                    "type": "export",
                    "links": [
                        {
                            "format": "csv",
                            "title": "All my check-ins (CSV)",
                            "url": "/api/v1/me/export?format=csv",
                        },
                        {
                            "format": "pdf",
                            "title": "Summary for my doctor (PDF)",
                            "url": "/api/v1/me/export?format=pdf",
                        },
                    ],
                },
            }
        ]
    if re.search(r"progress", text, re.I):
        return [
            {
                "text": "Here is how you're doing.",
                "custom": {"type": "link", "title": "Open my insights", "url": "/insights.html"},
            }
        ]
    if user["step"] is not None and score:
        key = QUESTIONS[user["step"]][0]
        user["values"][key] = int(score.group(1))
        user["step"] += 1
        if user["step"] < len(QUESTIONS):
            return [{"text": QUESTIONS[user["step"]][1], "buttons": SCALE}]
        store_checkin(sender, user["values"])
        user["step"] = None
        user["values"] = {}
        return [
            {
                "text": "Thanks — that's today's check-in saved. Well done for taking a moment for it."
            },
            {
                "text": "You can see your trends on the insights page: /insights.html",
                "buttons": MENU,
            },
        ]
    if text == "/start_checkin" or re.search(r"check.?in", text, re.I):
        user["step"] = 0
        user["values"] = {}
        return [
            {"text": "Let's do a quick check-in. Four questions, tap a number."},
            {"text": QUESTIONS[0][1], "buttons": SCALE},
        ]
    if re.search(r"link|why", text, re.I):
        return [
            {
                "text": "Pain and fatigue often feed each other. Research suggests long-lasting pain keeps the "
                "stress system switched on and disturbs sleep, which can leave you more tired and more "
                "sensitive to pain. More: https://www.nice.org.uk/guidance/ng193",
                "buttons": [
                    {"title": "Tell me more", "payload": "/learn_more"},
                    {"title": "How does this affect me?", "payload": "/learn_action"},
                ],
            }
        ]
    return [
        {
            "text": "I'm here. You can do a check-in, ask why pain and fatigue are linked, or ask for a technique.",
            "buttons": MENU,
        }
    ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self._send(200, b"Hello from Rasa: fake", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        reply = answer(body.get("sender", ""), body.get("message", ""))
        out = [{"recipient_id": body.get("sender"), **m} for m in reply]
        self._send(200, json.dumps(out).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5099
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
