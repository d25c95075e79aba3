"""Rows the action server may deliver more than once (outbox retries, a lost reply):
each carries the client's idempotency key, unique per user."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row", bound=Any)  # a model with user_id and idempotency_key columns


def find(db: Session, model: type[Row], user_id: str, key: str) -> Row | None:
    return db.scalar(select(model).where(model.user_id == user_id, model.idempotency_key == key))


def insert_once(db: Session, row: Row) -> tuple[Row, bool]:
    """Commit a new row; returns (row, created). If a concurrent delivery of the same key
    won the race on the unique constraint, returns its row instead."""
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        existing = find(db, type(row), row.user_id, row.idempotency_key)
        if existing is None:
            raise
        return existing, False
    return row, True
