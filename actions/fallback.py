"""Fallback that does not loop: after two misunderstandings in a row, offer a menu. A
message in another language (as the NLU's LanguageGate found) is told that Cadence
speaks English only; a message with no words ("🙂", as the WordlessGate found) gets a
friendly nudge.

Inside a safety conversation nothing falls to "say it another way": the reply goes to
the safety follow-up, which answers whatever the last safety question was.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker

from actions.checkin import offer_checkin_keeping
from actions.safety import ActionSafetyFollowup, last_reply
from actions.scales import named_scores
from bot.nlu.language import LANGUAGE_ATTRIBUTE, OTHER_LANGUAGE
from bot.nlu.wordless import WORDLESS_ATTRIBUTE

MISUNDERSTOOD = {"nlu_fallback", "out_of_scope"}
# The safety conversation's own replies: a typed reply right after one stays in it.
SAFETY_REPLIES = {
    "utter_grounding",
    "utter_safety_plan",
    "utter_safety_plan_done",
    "utter_still_here",
    "utter_glad_it_helped",
    "utter_crisis_safe",
    "utter_crisis_not_safe_offer",
    "utter_safety_still_here",
}


def in_safety_conversation(tracker: Tracker) -> bool:
    """A safety question is waiting for its answer, or the bot's last words were part of
    the crisis flow (grounding, the safety plan)."""
    pending = tracker.get_slot("safety_check_pending")
    if pending and pending != "light_check":
        return True
    return last_reply(tracker) in SAFETY_REPLIES


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
        if in_safety_conversation(tracker):
            return await ActionSafetyFollowup().run(dispatcher, tracker, domain)
        if tracker.latest_message.get(LANGUAGE_ATTRIBUTE) == OTHER_LANGUAGE:
            dispatcher.utter_message(response="utter_english_only")
        elif tracker.latest_message.get(WORDLESS_ATTRIBUTE):
            dispatcher.utter_message(response="utter_wordless_nudge")
        elif not tracker.active_loop_name and (
            scores := named_scores(tracker.latest_message.get("text") or "")
        ):
            # "my pain is 9 today" that the NLU missed: keep the score, offer the check-in.
            return offer_checkin_keeping(dispatcher, scores)
        elif misunderstandings_in_a_row(tracker) >= 2:
            dispatcher.utter_message(response="utter_topic_menu")
        elif tracker.latest_message.get("intent", {}).get("name") == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []
