"""A user's rows of one kind (check-ins, weekly checks) in the order they were made.

`id` breaks ties between rows saved within the same clock tick."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

Row = TypeVar("Row", bound=Any)  # a model with user_id, created_at and id columns


def newest_first(db: Session, model: type[Row], user_id: str, limit: int) -> list[Row]:
    query = (
        select(model)
        .where(model.user_id == user_id)
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def oldest_first(db: Session, model: type[Row], user_id: str) -> list[Row]:
    query = select(model).where(model.user_id == user_id).order_by(model.created_at, model.id)
    return list(db.scalars(query))
