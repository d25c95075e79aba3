"""Technique feedback storage and per-user tallies."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import TechniqueFeedback


def record(db: Session, user_id: str, technique_id: str, helped: bool) -> TechniqueFeedback:
    row = TechniqueFeedback(user_id=user_id, technique_id=technique_id, helped=helped)
    db.add(row)
    db.commit()
    return row


def tallies(db: Session, user_id: str) -> dict[str, tuple[int, int]]:
    """technique id → (times it helped, times it didn't)."""
    query = (
        select(TechniqueFeedback.technique_id, TechniqueFeedback.helped, func.count())
        .where(TechniqueFeedback.user_id == user_id)
        .group_by(TechniqueFeedback.technique_id, TechniqueFeedback.helped)
    )
    counts: dict[str, list[int]] = {}
    for technique_id, helped, count in db.execute(query):
        counts.setdefault(technique_id, [0, 0])[0 if helped else 1] += count
    return {technique_id: (h, n) for technique_id, (h, n) in counts.items()}
