"""Anonymous sessions: a user row and a signed token, nothing personal asked; renewing a
token while it is valid, and signing out."""

from fastapi import APIRouter, Depends, Response, status

from api.db import DbSession
from api.models import User
from api.ratelimit import limit_sessions
from api.schemas import SessionOut
from api.security import (
    AppClock,
    AppSettings,
    CurrentUser,
    ValidToken,
    current_user,
    issue_token,
    revoke_session,
)

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Depends(limit_sessions)])
def create_session(db: DbSession, settings: AppSettings, clock: AppClock) -> SessionOut:
    now = clock()
    user = User(created_at=now, last_seen_at=now)
    db.add(user)
    db.commit()
    return SessionOut(user_id=user.id, token=issue_token(user.id, settings, now))


@router.post("/refresh")
def renew_session(
    user: CurrentUser, token: ValidToken, settings: AppSettings, clock: AppClock
) -> SessionOut:
    """A new token for the same user and session, valid TOKEN_TTL_DAYS from now.

    The presented token stays valid until its own expiry: requests still in flight with it
    (another tab) must not fail, or the widget would start over as a new, empty user.
    """
    return SessionOut(
        user_id=user.id, token=issue_token(user.id, settings, clock(), token.session_id)
    )


@router.delete(
    "/current", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(current_user)]
)
def sign_out(token: ValidToken, db: DbSession, clock: AppClock) -> Response:
    """Revoke this token's session: the token and every renewal of it get 401 from now on.
    The data stays (DELETE /api/v1/me erases it) until the retention job does."""
    revoke_session(db, token, clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
