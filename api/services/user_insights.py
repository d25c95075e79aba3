"""A user's insights from the database, reading only the check-ins they use.

insights.summarise() of every check-in, without loading every check-in: the rows of the
last insights.HISTORY_DAYS days, and the all-time figures as SQL aggregates
(tests/api/test_bounded_work.py compares the two on five years of check-ins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.models import Checkin, User
from api.services import checkins, insights


@dataclass(frozen=True)
class Summary:
    today: dt.date
    recent: list[Checkin]  # the check-ins of the last insights.HISTORY_DAYS days
    history: insights.DaysWithData
    payload: dict[str, Any]  # insights.summarise()


def summary_for(db: Session, user: User) -> Summary:
    today = checkins.today_for_user(db, user)
    recent = checkins.for_insights(db, user.id, today)
    history = checkins.days_with_data(db, user.id, today)
    return Summary(today, recent, history, insights.summarise(recent, today, history))
