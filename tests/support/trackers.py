"""Tracker fixtures for action unit tests, in the shape Rasa sends them."""

from __future__ import annotations


def tracker_for(sender_id: str, slots: dict, text: str = "", intent: str = "inform",
                entities: list | None = None, metadata: dict | None = None,
                active_loop: str | None = None, events: list | None = None):
    from rasa_sdk import Tracker

    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": entities or [],
                "metadata": metadata or {},
            },
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )
