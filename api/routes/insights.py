"""The signed-in user's insights: averages, trends, patterns and flares."""

from fastapi import APIRouter, Depends

from api.db import DbSession
from api.models import User
from api.ratelimit import limit_insights
from api.schemas import ErrorOut, InsightsOut
from api.security import CurrentUser
from api.services import user_insights, weekly
from api.workslots import heavy_work_slot

router = APIRouter(
    prefix="/api/v1/me/insights",
    tags=["insights"],
    dependencies=[Depends(limit_insights), Depends(heavy_work_slot)],
)


def insights_for(db: DbSession, user: User) -> InsightsOut:
    out = InsightsOut.model_validate(user_insights.summary_for(db, user).payload)
    out.peg = weekly.peg_course(weekly.all_oldest_first(db, user.id))
    return out


@router.get("", responses={429: {"model": ErrorOut}, 503: {"model": ErrorOut}})
def my_insights(user: CurrentUser, db: DbSession) -> InsightsOut:
    # In the thread pool, in a work slot (heavy_work_slot).
    return insights_for(db, user)
