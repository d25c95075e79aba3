"""Show the user's own patterns in chat, tied back to the matching learn topic."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action

from actions import api_client

LABELS = {"pain": "pain", "fatigue": "fatigue", "sleep_quality": "sleep", "stress": "stress"}
# Points per day; smaller slopes are noise over a week.
FLAT = 0.1


def trend_word(slope: float | None, measure: str) -> str:
    if slope is None or abs(slope) < FLAT:
        return "steady"
    rising = slope > 0
    if measure == "sleep_quality":  # higher sleep quality is better
        return "improving" if rising else "getting worse"
    return "going up" if rising else "going down"


def averages_line(measures: dict[str, Any]) -> str | None:
    parts = []
    for key, label in LABELS.items():
        summary = measures.get(key) or {}
        if summary.get("avg_7d") is None:
            continue
        trend = trend_word(summary.get("trend_7d"), key)
        parts.append(f"{label} {summary['avg_7d']:.1f} ({trend})")
    if not parts:
        return None
    return "Your last 7 days, on average: " + ", ".join(parts) + "."


def correlation_line(correlations: dict[str, Any]) -> tuple[str | None, str | None]:
    link = correlations.get("pain_fatigue") or {}
    if link.get("r") is None:
        return link.get("message"), None
    r = link["r"]
    if abs(r) < 0.3:
        finding = "your pain and fatigue haven't moved together much"
    elif r > 0:
        finding = "on days with more pain, your fatigue was usually higher too"
    else:
        finding = "on days with more pain, your fatigue was usually lower"
    text = (
        f"Over {link['n_days']} days, {finding} (r = {r:.2f}). "
        f"{link.get('caveat', 'This is a pattern, not proof.')}"
    )
    return text, link.get("learn_topic")


class ActionShowProgress(Action):
    def name(self) -> str:
        return "action_show_progress"

    async def run(self, dispatcher, tracker, domain):
        try:
            insights = await api_client.insights(tracker.sender_id)
        except (api_client.ApiError, api_client.ApiUnavailable):
            dispatcher.utter_message(
                text="I can't reach your records right now. Please try again in a little while."
            )
            return []
        if not insights.get("n_days"):
            dispatcher.utter_message(
                text="There are no check-ins yet. A one-minute check-in is the place to start.",
                buttons=[{"title": "Do a check-in", "payload": "/start_checkin"}],
            )
            return []
        lines = [averages_line(insights.get("measures") or {})]
        link_text, topic = correlation_line(insights.get("correlations") or {})
        lines.append(link_text)
        flare = insights.get("flare")
        if flare:
            lines.append(flare["suggestion"])
        peg = insights.get("peg")
        if peg:
            lines.append(peg["message"])
        buttons = []
        if topic:
            buttons.append({"title": "Why do they go together?",
                            "payload": f'/learn_topic{{"topic": "{topic}"}}'})
        buttons.append({"title": "Suggest a technique", "payload": "/ask_technique"})
        dispatcher.utter_message(
            text=" ".join(line for line in lines if line),
            buttons=buttons,
            json_message={"type": "link", "title": "Open my insights", "url": "/insights.html"},
        )
        return []
