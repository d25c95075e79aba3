"""The signed-in user's own conversation and the right to erase everything."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api.db import DbSession
from api.ratelimit import limit_start_over
from api.routes.chat import Gateway
from api.schemas import ConversationOut, TurnOut
from api.security import CurrentUser, CurrentUserId
from api.services import erase, transcript
from api.services.rasa import RasaUnavailable, to_messages

log = logging.getLogger("cadence.api.me")

router = APIRouter(prefix="/api/v1/me", tags=["me"])

RESTART_PAYLOAD = "/restart"


@router.get("/conversation", response_model_exclude_none=True)
def get_conversation(user_id: CurrentUserId, db: DbSession) -> ConversationOut:
    return ConversationOut(
        turns=[
            TurnOut(
                role=turn.role,
                text=turn.text,
                buttons=turn.buttons,
                custom=turn.custom,
                created_at=turn.created_at,
                undelivered=True if turn.role == "user" and not turn.delivered else None,
            )
            for turn in transcript.turns(db, user_id)
        ]
    )


START_OVER_FAILED = (
    "We couldn't clear the conversation just now. Nothing was cleared; please try again in a "
    "moment."
)


@router.delete(
    "/conversation",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(limit_start_over)],
)
async def start_over(
    user: CurrentUser, db: DbSession, gateway: Gateway, request: Request
) -> Response:
    user_id = user.id

    def rasa_metadata() -> dict[str, str]:  # in the pool: a rollback may have expired `user`
        return {k: v for k, v in {"locale": user.locale, "timezone": user.timezone}.items() if v}

    metadata = await run_in_threadpool(rasa_metadata)
    # Restart first, then delete the events. Rasa handles one sender's messages one at a
    # time and saves each turn before it answers, so once the restart is answered every
    # earlier turn, one still in flight included, is in the store, and the delete leaves
    # none of them (nor the restart's own). The other order would not hold: a turn in
    # flight would be saved after the delete, and Rasa's SQL tracker store appends every
    # event it does not find stored, i.e. the whole old session. The restart also ends a
    # running form at once; with no events left, the next message starts a new tracker
    # (no form, no slots carried over). Our own trusted call: the only place "/restart"
    # is ever sent unescaped. If Rasa is down, the delete alone still starts afresh.
    try:
        reply = await gateway.send(user_id, RESTART_PAYLOAD, metadata)
    except RasaUnavailable as exc:
        log.warning("restart not delivered to rasa: %s", exc)
        reply = []
    try:
        await run_in_threadpool(
            erase.erase_conversation, request.app.state.tracker_engine, db, user_id
        )
    except erase.EraseFailed:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=START_OVER_FAILED
        ) from None
    messages = to_messages(reply)
    if messages:
        # Whatever Rasa says after a restart (a greeting, a menu) is the new first turn.
        def record() -> None:
            transcript.add_bot_turns(db, user_id, messages)
            db.commit()

        await run_in_threadpool(record)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


ERASE_FAILED = (
    "We couldn't erase your data just now. Nothing was deleted; please try again in a moment."
)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def erase_me(user_id: CurrentUserId, db: DbSession, request: Request) -> Response:
    try:
        erase.erase_everything(request.app.state.tracker_engine, db, user_id)
    except erase.EraseFailed:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=ERASE_FAILED) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
