"""The signed-in user's insights: averages, trends, patterns and flares."""

from fastapi import APIRouter

from api.db import DbSession
from api.models import User
from api.schemas import InsightsOut
from api.security import CurrentUser
from api.services import checkins, insights, weekly

router = APIRouter(prefix="/api/v1/me/insights", tags=["insights"])


def insights_for(db: DbSession, user: User) -> InsightsOut:
    rows = checkins.all_oldest_first(db, user.id)
    today = checkins.today_for(user, rows[-1].local_date if rows else None)
    out = InsightsOut.model_validate(insights.summarise(rows, today))
    out.peg = weekly.peg_course(weekly.all_oldest_first(db, user.id))
    return out


@router.get("")
def my_insights(user: CurrentUser, db: DbSession) -> InsightsOut:
    return insights_for(db, user)
