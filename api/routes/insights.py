"""The signed-in user's insights: averages, trends, patterns and flares."""

from fastapi import APIRouter

from api.db import DbSession
from api.models import User
from api.schemas import InsightsOut
from api.security import CurrentUserId
from api.services import checkins, insights, weekly

router = APIRouter(prefix="/api/v1/me/insights", tags=["insights"])


def insights_for(db: DbSession, user: User) -> InsightsOut:
    rows = checkins.all_oldest_first(db, user.id)
    today = checkins.today_for(user, rows[-1].local_date if rows else None)
    out = InsightsOut.model_validate(insights.summarise(rows, today))
    out.peg = weekly.peg_course(weekly.all_oldest_first(db, user.id))
    return out


@router.get("")
def my_insights(user_id: CurrentUserId, db: DbSession) -> InsightsOut:
    user = db.get(User, user_id)
    assert user is not None  # current_user_id checked it
    return insights_for(db, user)
