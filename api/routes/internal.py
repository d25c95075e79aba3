"""Server-to-server routes for the action server, guarded by X-Service-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from api.db import DbSession
from api.models import SafetyEvent, User
from api.routes.insights import insights_for
from api.schemas import (
    CheckinIn,
    CheckinOut,
    InsightsOut,
    SafetyEventIn,
    SafetyEventOut,
    UserId,
    WeeklyCheckIn,
    WeeklyCheckOut,
)
from api.security import require_service_key
from api.services import checkins, weekly

router = APIRouter(
    prefix="/api/v1/internal",
    tags=["internal"],
    dependencies=[Depends(require_service_key)],
)


def existing_user(db: DbSession, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Unknown user")
    return user


PathUserId = Annotated[UserId, Path()]


@router.post("/checkins", status_code=status.HTTP_201_CREATED)
def create_checkin(body: CheckinIn, db: DbSession, response: Response) -> CheckinOut:
    user = existing_user(db, body.user_id)
    row, created = checkins.record(db, user, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CheckinOut.model_validate(row)


@router.get("/users/{user_id}/checkins")
def list_checkins(
    user_id: PathUserId,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=5000)] = 30,
) -> list[CheckinOut]:
    existing_user(db, user_id)
    return [CheckinOut.model_validate(row) for row in checkins.newest_first(db, user_id, limit)]


@router.post("/weekly-checks", status_code=status.HTTP_201_CREATED)
def create_weekly_check(body: WeeklyCheckIn, db: DbSession, response: Response) -> WeeklyCheckOut:
    user = existing_user(db, body.user_id)
    row, created = weekly.record(db, user, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return WeeklyCheckOut.model_validate(row)


@router.get("/users/{user_id}/weekly-checks")
def list_weekly_checks(
    user_id: PathUserId,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> list[WeeklyCheckOut]:
    existing_user(db, user_id)
    return [WeeklyCheckOut.model_validate(row) for row in weekly.newest_first(db, user_id, limit)]


@router.get("/users/{user_id}/insights")
def user_insights(user_id: PathUserId, db: DbSession) -> InsightsOut:
    return insights_for(db, existing_user(db, user_id))


@router.post("/safety-events", status_code=status.HTTP_201_CREATED)
def create_safety_event(body: SafetyEventIn, db: DbSession) -> SafetyEventOut:
    existing_user(db, body.user_id)
    event = SafetyEvent(user_id=body.user_id, kind=body.kind)
    db.add(event)
    db.commit()
    return SafetyEventOut.model_validate(event)
