"""Anonymous sessions: a user row and a signed token, nothing personal asked."""

from fastapi import APIRouter, Depends, status

from api.db import DbSession
from api.models import User
from api.ratelimit import limit_sessions
from api.schemas import SessionOut
from api.security import AppSettings, issue_token

router = APIRouter(
    prefix="/api/v1/sessions", tags=["sessions"], dependencies=[Depends(limit_sessions)]
)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_session(db: DbSession, settings: AppSettings) -> SessionOut:
    user = User()
    db.add(user)
    db.commit()
    return SessionOut(user_id=user.id, token=issue_token(user.id, settings))
