"""The signed-in user's weekly checks (PEG items and, if they agreed, PHQ-2 / GAD-2)."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.db import DbSession
from api.schemas import WeeklyCheckOut
from api.security import CurrentUserId
from api.services import weekly

router = APIRouter(prefix="/api/v1/me/weekly-checks", tags=["checkins"])


@router.get("")
def list_my_weekly_checks(
    user_id: CurrentUserId,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WeeklyCheckOut]:
    return [WeeklyCheckOut.model_validate(row) for row in weekly.newest_first(db, user_id, limit)]
