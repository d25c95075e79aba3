"""Show the user's own patterns in chat, tied back to the matching learn topic.

The insights come whole from the API (`/internal/users/{id}/insights`, the same payload
as `GET /api/v1/me/insights`); its sentences about patterns already carry the number of
days behind them and the "pattern, not proof" caveat, so they are shown as written. This
module picks what fits in a chat reply; the insights page shows the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action

from actions import api_client
from actions.scales import SCALE_LABELS

# Points per day; smaller slopes are noise over a week.
FLAT = 0.1
SLEEP_LINKS = ("sleep_next_day_pain", "sleep_next_day_fatigue")
FLARE_PLAN = {"title": "Make a flare plan",
              "payload": '/choose_technique{"technique_id": "flare_plan"}'}
TECHNIQUE = {"title": "Suggest a technique", "payload": "/ask_technique"}
INSIGHTS_PAGE = {"type": "link", "title": "Open my insights", "url": "/insights.html"}


def trend_word(slope: float | None, measure: str) -> str:
    if slope is None or abs(slope) < FLAT:
        return "steady"
    rising = slope > 0
    if measure == "sleep_quality":  # higher sleep quality is better
        return "improving" if rising else "getting worse"
    return "going up" if rising else "going down"


def averages_line(measures: dict[str, Any]) -> str | None:
    parts = []
    for key, label in SCALE_LABELS.items():
        summary = measures.get(key) or {}
        if summary.get("avg_7d") is None:
            continue
        trend = trend_word(summary.get("trend_7d"), key)
        parts.append(f"{label} {summary['avg_7d']:.1f} ({trend})")
    if not parts:
        return None
    return "Your last 7 days, on average: " + ", ".join(parts) + "."


def month_line(measures: dict[str, Any]) -> str | None:
    """The 30-day averages, only once they cover more than the last week."""
    if max((m or {}).get("days_30d", 0) for m in measures.values()) <= 7:
        return None
    parts = [
        f"{label} {measures[key]['avg_30d']:.1f}"
        for key, label in SCALE_LABELS.items()
        if (measures.get(key) or {}).get("avg_30d") is not None
    ]
    return "Over 30 days: " + ", ".join(parts) + "." if parts else None


def spoken_date(value: str) -> str:
    day = dt.date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B}"


def best_and_worst_line(insights: dict[str, Any]) -> str | None:
    best, worst = insights.get("best_day"), insights.get("worst_day")
    if not best or not worst:
        return None
    return (
        f"In the last 30 days your easiest day was {spoken_date(best['local_date'])} "
        f"and your hardest was {spoken_date(worst['local_date'])}."
    )


def pain_fatigue_line(correlations: dict[str, Any]) -> tuple[str | None, str | None]:
    """The API's sentence about the user's pain–fatigue link, and the learn topic to offer
    when there is a link to explain."""
    link = correlations.get("pain_fatigue") or {}
    return link.get("message"), link.get("learn_topic") if link.get("r") is not None else None


def sleep_line(correlations: dict[str, Any]) -> tuple[str | None, str | None]:
    """Sleep → next-day pain and fatigue: the ones with a result, or else one sentence on
    how many more days it needs (both need the same days, so say it once)."""
    links = [correlations.get(name) or {} for name in SLEEP_LINKS]
    found = [link for link in links if link.get("r") is not None]
    if found:
        return " ".join(link["message"] for link in found), found[0].get("learn_topic")
    return links[0].get("message"), None


def topic_button(title: str, topic: str) -> dict[str, str]:
    return {"title": title, "payload": f'/learn_topic{{"topic": "{topic}"}}'}


def flare_message(flare: dict[str, Any], as_of: str, buttons: list[dict]) -> dict[str, Any]:
    """The latest check-in day is well above the person's own baseline: say so, and offer
    a flare plan."""
    when = "Today" if flare["local_date"] == as_of else f"On {spoken_date(flare['local_date'])}"
    above = " and ".join(
        f"{SCALE_LABELS[measure]} {values['value']:g} against your usual {values['baseline']:g}"
        for measure, values in flare["measures"].items()
    )
    return {"text": f"{when}: {above}. {flare['suggestion']}", "buttons": [FLARE_PLAN, *buttons]}


async def todays_flare(user_id: str) -> dict[str, Any] | None:
    """Today's flare, if the check-in just saved made one; None when the API can't say."""
    try:
        insights = await api_client.insights(user_id)
    except (api_client.ApiError, api_client.ApiUnavailable):
        return None
    flare = insights.get("flare")
    return flare if flare and flare["local_date"] == insights.get("as_of") else None


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
        measures = insights.get("measures") or {}
        peg = insights.get("peg")
        summary = [
            averages_line(measures),
            month_line(measures),
            best_and_worst_line(insights),
            peg["message"] if peg else None,
        ]
        dispatcher.utter_message(text=" ".join(line for line in summary if line))

        correlations = insights.get("correlations") or {}
        link_text, link_topic = pain_fatigue_line(correlations)
        sleep_text, sleep_topic = sleep_line(correlations)
        buttons = []
        if link_topic:
            buttons.append(topic_button("Why do they go together?", link_topic))
        if sleep_topic:
            buttons.append(topic_button("How does sleep affect this?", sleep_topic))
        flare = insights.get("flare")
        if flare:
            dispatcher.utter_message(**flare_message(flare, insights["as_of"], [TECHNIQUE]))
        else:
            buttons.append(TECHNIQUE)
        dispatcher.utter_message(
            text=" ".join(text for text in (link_text, sleep_text) if text),
            buttons=buttons,
            json_message=INSIGHTS_PAGE,
        )
        return []
