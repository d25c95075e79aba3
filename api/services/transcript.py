"""The visible conversation the widget rebuilds from, and the payloads the bot offered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.models import ConversationTurn, User

MAX_TURNS_RETURNED = 1000


def add_user_turn(db: Session, user_id: str, text: str) -> ConversationTurn:
    turn = ConversationTurn(user_id=user_id, role="user", text=text, delivered=False)
    db.add(turn)
    db.commit()
    return turn


def mark_delivered(db: Session, turn: ConversationTurn) -> bool:
    """Mark the user's turn as answered; False if it is gone (they started over, or were
    erased, while Rasa was answering).

    A statement, not an attribute change, so that a missing row is an answer rather than
    a StaleDataError. As the transaction's first write it holds SQLite's write lock
    (PostgreSQL: the row's lock) until the commit, so no erase can come between this
    check and the bot's turns written after it.
    """
    marked = db.execute(
        update(ConversationTurn).where(ConversationTurn.id == turn.id).values(delivered=True)
    )
    return marked.rowcount == 1


def user_exists(db: Session, user_id: str) -> bool:
    # A query, not db.get: the session may still hold the User row it loaded earlier.
    return db.scalar(select(User.id).where(User.id == user_id)) is not None


def add_bot_turns(db: Session, user_id: str, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        db.add(
            ConversationTurn(
                user_id=user_id,
                role="bot",
                text=message.get("text"),
                buttons=message.get("buttons"),
                custom=message.get("custom"),
            )
        )


def last_bot_turn(db: Session, user_id: str) -> list[ConversationTurn]:
    """The bot messages after the user's last delivered turn.

    Rasa answers one user message with several messages, so "the bot's last turn" is that
    whole group. Undelivered user turns are skipped: Rasa never saw them, so the buttons
    it offered before are still the ones it expects.
    """
    rows = db.scalars(
        select(ConversationTurn)
        .where(ConversationTurn.user_id == user_id)
        .order_by(ConversationTurn.id.desc())
        .limit(200)
    )
    group: list[ConversationTurn] = []
    for row in rows:
        if row.role == "user":
            if row.delivered:
                break
            continue
        group.append(row)
    return group[::-1]


def offered_button_title(db: Session, user_id: str, payload: str) -> str | None:
    for turn in last_bot_turn(db, user_id):
        for button in turn.buttons or []:
            if button.get("payload") == payload:
                return button.get("title")
    return None


def turns(db: Session, user_id: str) -> list[ConversationTurn]:
    newest = (
        select(ConversationTurn)
        .where(ConversationTurn.user_id == user_id)
        .order_by(ConversationTurn.id.desc())
        .limit(MAX_TURNS_RETURNED)
    )
    return list(db.scalars(newest))[::-1]


def clear(db: Session, user_id: str) -> None:
    db.execute(delete(ConversationTurn).where(ConversationTurn.user_id == user_id))
