"""Technique feedback and ranked suggestions, for the action server (X-Service-Key)."""

from __future__ import annotations

import random
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from api.db import DbSession
from api.routes.internal import PathUserId, existing_user
from api.schemas import SuggestionsOut, TechniqueFeedbackIn, TechniqueFeedbackOut
from api.security import AppSettings, require_service_key
from api.services import checkins, feedback, ranking

router = APIRouter(
    prefix="/api/v1/internal",
    tags=["techniques"],
    dependencies=[Depends(require_service_key)],
)


@router.post("/technique-feedback", status_code=status.HTTP_201_CREATED)
def create_feedback(
    body: TechniqueFeedbackIn, db: DbSession, settings: AppSettings
) -> TechniqueFeedbackOut:
    existing_user(db, body.user_id)
    catalogue = ranking.load_catalogue(settings.techniques_file)
    # Without a catalogue yet, accept any well-formed id rather than lose feedback.
    if catalogue and body.technique_id not in {t.id for t in catalogue}:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="Unknown technique")
    row = feedback.record(db, body.user_id, body.technique_id, body.helped)
    return TechniqueFeedbackOut.model_validate(row)


@router.get("/users/{user_id}/suggestions")
def suggestions(
    user_id: PathUserId,
    db: DbSession,
    settings: AppSettings,
    limit: Annotated[int, Query(ge=1, le=20)] = 3,
    pem: Annotated[bool, Query(description="true: leave out techniques that add activity")] = False,
    seed: Annotated[int | None, Query(description="fixes the sampling, for tests")] = None,
) -> SuggestionsOut:
    existing_user(db, user_id)
    latest = checkins.newest_first(db, user_id, 1)
    targets = ranking.targets_for(latest[0] if latest else None)
    ranked = ranking.rank(
        ranking.load_catalogue(settings.techniques_file),
        feedback.tallies(db, user_id),
        targets,
        pem=pem,
        rng=random.Random(seed),
        limit=limit,
    )
    return SuggestionsOut.model_validate({"targets": sorted(targets), "suggestions": ranked})
