"""Session tokens (JWT HS256) and the service key that guards internal routes."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated

import jwt
from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.db import DbSession
from api.models import User
from api.settings import Settings

ALGORITHM = "HS256"


async def app_settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(app_settings)]


def issue_token(user_id: str, settings: Settings) -> str:
    assert settings.jwt_secret is not None  # with_secrets() ran in create_app
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": user_id, "iat": now, "exp": now + dt.timedelta(days=settings.token_ttl_days)}
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


# auto_error=False: we answer 401 with WWW-Authenticate ourselves, whatever FastAPI's default.
_bearer = HTTPBearer(auto_error=False)


async def token_subject(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: AppSettings,
) -> str:
    """The user id a valid token names. Async: checking a signature needs no I/O, so no
    hop to the thread pool. Whether that user still exists is `load_user`'s question."""
    if credentials is None:
        raise _unauthorized("Missing bearer token")
    assert settings.jwt_secret is not None
    try:
        # Pinning the algorithm list is what rejects "alg: none" and key-confusion tokens.
        claims = jwt.decode(
            credentials.credentials,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError:
        raise _unauthorized("Invalid or expired token") from None
    if not isinstance(claims["sub"], str):
        raise _unauthorized("Invalid or expired token")
    return claims["sub"]


TokenSubject = Annotated[str, Depends(token_subject)]


def load_user(db: Session, user_id: str) -> User:
    # An erased user's token must stop working even though its signature is still valid.
    user = db.get(User, user_id)
    if user is None:
        raise _unauthorized("Invalid or expired token")
    return user


def current_user(user_id: TokenSubject, db: DbSession) -> User:
    return load_user(db, user_id)


# FastAPI keeps a dependency's value for the whole request, so the User loaded above stays
# referenced and in the session's identity map (which holds objects only weakly): a route
# that needs the row again gets it from there, without a second query.
CurrentUser = Annotated[User, Depends(current_user)]


async def current_user_id(user: CurrentUser) -> str:
    # Async on purpose: no I/O here, so no hop to the thread pool.
    return user.id


CurrentUserId = Annotated[str, Depends(current_user_id)]


def require_service_key(
    settings: AppSettings,
    x_service_key: Annotated[str | None, Header()] = None,
) -> None:
    assert settings.service_key is not None
    expected = settings.service_key.get_secret_value().encode()
    given = (x_service_key or "").encode()
    if not hmac.compare_digest(given, expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Invalid service key")
