"""Fallback that does not loop: after two misunderstandings in a row, offer a menu."""

from __future__ import annotations

from rasa_sdk import Action, Tracker

MISUNDERSTOOD = {"nlu_fallback", "out_of_scope"}


def misunderstandings_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent not in MISUNDERSTOOD:
            break
        count += 1
    return count


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher, tracker, domain):
        if misunderstandings_in_a_row(tracker) >= 2:
            dispatcher.utter_message(response="utter_topic_menu")
        elif tracker.latest_message.get("intent", {}).get("name") == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []

