"""A user's rows of one kind (check-ins, weekly checks) in the order they were made.

`id` breaks ties between rows saved within the same clock tick."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import scalars_in_batches

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
    return list(db.scalars(_oldest_first_query(model, user_id)))


def oldest_first_in_batches(
    db: Session, model: type[Row], user_id: str, batch_rows: int
) -> Iterator[Sequence[Row]]:
    """All of a user's rows, `batch_rows` at a time (see db.scalars_in_batches)."""
    return scalars_in_batches(db, _oldest_first_query(model, user_id), batch_rows)


def _oldest_first_query(model: type[Row], user_id: str) -> Any:
    return select(model).where(model.user_id == user_id).order_by(model.created_at, model.id)
