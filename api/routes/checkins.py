"""The signed-in user's check-ins."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.db import DbSession
from api.schemas import CheckinOut
from api.security import CurrentUserId
from api.services import checkins

router = APIRouter(prefix="/api/v1/me/checkins", tags=["checkins"])


@router.get("")
def list_my_checkins(
    user_id: CurrentUserId,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[CheckinOut]:
    return [CheckinOut.model_validate(row) for row in checkins.newest_first(db, user_id, limit)]
