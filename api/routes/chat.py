"""The gateway: the only way a browser's words reach Rasa."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from api.db import DbSession
from api.models import ConversationTurn
from api.ratelimit import limit_chat
from api.schemas import ChatIn, ChatOut, ErrorOut, UnprocessableOut
from api.security import INVALID, AppClock, SessionToken, ValidToken, load_user, unauthorized
from api.services import erase, transcript
from api.services.rasa import RasaGateway, RasaUnavailable, to_messages

log = logging.getLogger("cadence.api.chat")

ERASE_FAILED = (
    "I couldn't erase your data just now, so nothing was deleted. Please try again in a "
    'moment, or use "Delete my data" on the insights page.'
)

router = APIRouter(prefix="/api/v1/chat", tags=["chat"], dependencies=[Depends(limit_chat)])

# Rasa reads text starting with "/" as "/intent{entities}". A word joiner in front keeps
# typed text plain text while looking the same to anyone reading the tracker.
WORD_JOINER = "\u2060"

UNAVAILABLE = (
    "Cadence can't reach its coach right now. Your message is saved; please try again in a moment."
)
# Rasa answers with nothing when a custom action failed (e.g. the action server is down):
# the user still deserves an answer rather than silence.
NO_REPLY = {
    "text": "Sorry, I can't do that right now. Please try again in a moment — "
    "nothing you told me has been lost."
}


async def get_gateway(request: Request) -> RasaGateway:
    return request.app.state.rasa


Gateway = Annotated[RasaGateway, Depends(get_gateway)]


def as_plain_text(message: str) -> str:
    return WORD_JOINER + message if message.startswith("/") else message


def _prepare(
    db: DbSession, token: SessionToken, now: dt.datetime, body: ChatIn
) -> tuple[str, dict[str, str], ConversationTurn]:
    """Check the user still exists, decide what Rasa receives, store the user's turn, and
    remember their locale: all the database work before Rasa, in one thread-pool hop."""
    user = load_user(db, token, now)
    user_id = token.user_id
    if body.payload is not None:
        title = transcript.offered_button_title(db, user_id, body.payload)
        if title is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail="That option isn't available any more. Please pick one of the "
                "buttons from the latest message, or type your answer.",
            )
        forwarded, shown = body.payload, title
    else:
        assert body.message is not None
        forwarded, shown = as_plain_text(body.message), body.message
    if body.metadata is not None:
        user.locale = body.metadata.locale or user.locale
        user.timezone = body.metadata.timezone or user.timezone
    # The last known values go with every message, so a Rasa session that starts on a
    # message without metadata (e.g. a payload click) still knows the locale.
    metadata = {"locale": user.locale, "timezone": user.timezone}
    metadata = {key: value for key, value in metadata.items() if value}
    return forwarded, metadata, transcript.add_user_turn(db, user_id, shown)


def _record_reply(
    db: DbSession, user_id: str, turn: ConversationTurn, messages: list
) -> Literal["saved", "started over", "erased"]:
    """Store Rasa's answer, unless the user's turn went while Rasa was answering: then
    nothing is stored, and whether they started over or were erased decides the rest."""
    if transcript.mark_delivered(db, turn):
        transcript.add_bot_turns(db, user_id, messages)
        db.commit()
        return "saved"
    db.rollback()
    return "started over" if transcript.user_exists(db, user_id) else "erased"


@router.post(
    "",
    response_model_exclude_none=True,  # "omit absent keys" is part of the contract
    responses={422: {"model": UnprocessableOut}, 503: {"model": ErrorOut}},
)
async def chat(
    body: ChatIn,
    token: ValidToken,
    db: DbSession,
    gateway: Gateway,
    request: Request,
    clock: AppClock,
) -> ChatOut:
    user_id = token.user_id
    # The session is synchronous: keep its work off the event loop.
    forwarded, metadata, turn = await run_in_threadpool(_prepare, db, token, clock(), body)
    try:
        reply = await gateway.send(user_id, forwarded, metadata)
    except RasaUnavailable as exc:
        log.warning("rasa unavailable: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE) from None
    messages = to_messages(reply) or [NO_REPLY]
    if any((m.get("custom") or {}).get("type") == "erase" for m in messages):
        return await _erase_after_confirmed_request(request, db, user_id, messages)
    recorded = await run_in_threadpool(_record_reply, db, user_id, turn, messages)
    if recorded == "erased":
        # Rasa saved this turn after the erase emptied its store: take it out again.
        await run_in_threadpool(
            erase.erase_late_tracker_events, request.app.state.tracker_engine, user_id
        )
        raise unauthorized(INVALID)
    # "started over": the answer belongs to the conversation that was cleared, so it is
    # shown to the person who asked but not kept.
    return ChatOut.model_validate({"messages": messages})


async def _erase_after_confirmed_request(
    request: Request, db: DbSession, user_id: str, messages: list
) -> ChatOut:
    """The user confirmed "delete my data" in chat. Rasa has saved this turn by the time
    it answers, so erasing here leaves no event behind (an action could not do that)."""
    try:
        await run_in_threadpool(
            erase.erase_everything, request.app.state.tracker_engine, db, user_id
        )
    except erase.EraseFailed:
        return ChatOut.model_validate({"messages": [{"text": ERASE_FAILED}]})
    shown = [
        {**m, "custom": {"type": "erased"}} if (m.get("custom") or {}).get("type") == "erase" else m
        for m in messages
    ]
    return ChatOut.model_validate({"messages": shown})
