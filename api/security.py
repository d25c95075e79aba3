"""Session tokens (JWT HS256) and the service key that guards the internal app's routes.

A token names its user (`sub`) and its session (`sid`). `POST /api/v1/sessions/refresh`
gives a valid token's holder a new one for the same session with a fresh expiry (sliding
expiry: people who keep using Cadence keep their data); signing out revokes the session,
so the token and every renewal of it get 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import jwt
from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.client_address import client_address
from api.db import DbSession
from api.models import RevokedSession, User
from api.services.retention import record_activity
from api.settings import Settings

if TYPE_CHECKING:
    from api.ratelimit import RateLimits  # which needs this module's TokenSubject

log = logging.getLogger("cadence.api.security")

ALGORITHM = "HS256"

Clock = Callable[[], dt.datetime]


async def app_settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(app_settings)]


async def app_clock(request: Request) -> Clock:
    # Token expiry, activity and retention all read this clock, so tests can move it.
    return request.app.state.clock


AppClock = Annotated[Clock, Depends(app_clock)]


@dataclass(frozen=True)
class SessionToken:
    """What a verified token says: whose it is, and which session it belongs to."""

    user_id: str
    session_id: str


def issue_token(
    user_id: str, settings: Settings, now: dt.datetime, session_id: str | None = None
) -> str:
    """A token valid for TOKEN_TTL_DAYS from `now`; a renewal passes its session's id."""
    assert settings.jwt_secret is not None  # with_secrets() ran in create_app
    claims = {
        "sub": user_id,
        "sid": session_id or secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + dt.timedelta(days=settings.token_ttl_days),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


INVALID = "Invalid or expired token"

# auto_error=False: we answer 401 with WWW-Authenticate ourselves, whatever FastAPI's default.
_bearer = HTTPBearer(auto_error=False)


async def session_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: AppSettings,
    clock: AppClock,
) -> SessionToken:
    """A token with a valid signature that has not expired. Async: checking it needs no
    I/O, so no hop to the thread pool. Whether the user still exists and the session is
    still open is `load_user`'s question."""
    if credentials is None:
        raise unauthorized("Missing bearer token")
    assert settings.jwt_secret is not None
    try:
        # Pinning the algorithm list is what rejects "alg: none" and key-confusion tokens.
        # Expiry is checked below against the app's clock rather than PyJWT's.
        claims = jwt.decode(
            credentials.credentials,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise unauthorized(INVALID) from None
    expires = claims["exp"]
    if (
        not isinstance(claims["sub"], str)
        or not isinstance(expires, (int, float))
        or isinstance(expires, bool)
        or not math.isfinite(expires)
        or clock().timestamp() >= expires
    ):
        raise unauthorized(INVALID)
    session_id = claims.get("sid")
    if session_id is None:
        # Issued before tokens carried a session: the token itself stands for its session.
        session_id = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    elif not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
        raise unauthorized(INVALID)
    return SessionToken(user_id=claims["sub"], session_id=session_id)


ValidToken = Annotated[SessionToken, Depends(session_token)]


async def token_subject(token: ValidToken) -> str:
    """The user id a valid token names (for keys that need no database, e.g. rate limits)."""
    return token.user_id


TokenSubject = Annotated[str, Depends(token_subject)]


def load_user(db: Session, token: SessionToken, now: dt.datetime) -> User:
    # An erased user's token, or a signed-out one, must stop working even though its
    # signature is still valid.
    user = db.get(User, token.user_id)
    if user is None or db.get(RevokedSession, token.session_id) is not None:
        raise unauthorized(INVALID)
    record_activity(db, user, now)
    return user


def current_user(token: ValidToken, db: DbSession, clock: AppClock) -> User:
    return load_user(db, token, clock())


# FastAPI keeps a dependency's value for the whole request, so the User loaded above stays
# referenced and in the session's identity map (which holds objects only weakly): a route
# that needs the row again gets it from there, without a second query.
CurrentUser = Annotated[User, Depends(current_user)]


async def current_user_id(user: CurrentUser) -> str:
    # Async on purpose: no I/O here, so no hop to the thread pool.
    return user.id


CurrentUserId = Annotated[str, Depends(current_user_id)]


def revoke_session(db: Session, token: SessionToken, now: dt.datetime) -> None:
    db.add(RevokedSession(session_id=token.session_id, user_id=token.user_id, revoked_at=now))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()  # a parallel sign-out of the same session got there first


WRONG_KEYS = "Too many wrong service keys from this address."


async def require_service_key(
    request: Request,
    settings: AppSettings,
    x_service_key: Annotated[str | None, Header()] = None,
) -> None:
    """The action server's key, compared in constant time. Wrong keys are logged and
    counted per client address; past RATE_LIMIT_SERVICE_KEY_FAILURES the address gets 429
    before any key is compared, so guessing gets a few tries a minute."""
    limits: RateLimits = request.app.state.rate_limits
    client = client_address(request)
    await limits.refuse_when_full(
        limits.service_key_failures, "service-key", client, why=WRONG_KEYS
    )
    assert settings.service_key is not None
    expected = settings.service_key.get_secret_value().encode()
    given = (x_service_key or "").encode()
    if hmac.compare_digest(given, expected):
        return
    # The route's template, never the raw path (it can hold a user id), and never the key.
    route = getattr(request.scope.get("route"), "path", "unmatched")
    log.warning("wrong service key from %s on %s %s", client, request.method, route)
    await limits.enforce(limits.service_key_failures, "service-key", client, why=WRONG_KEYS)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Invalid service key")
