"""Download your data: CSV of all check-ins, a one-page PDF for a clinician, or JSON of
everything stored about you (check-ins, weekly checks, safety events, technique
feedback). CSV and JSON are streamed as they are read from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, select

from api.db import DbSession, scalars_in_batches
from api.models import SafetyEvent, TechniqueFeedback, User
from api.ratelimit import limit_export
from api.schemas import CheckinOut, ErrorOut, WeeklyCheckOut
from api.security import AppSettings, CurrentUser
from api.services import checkins, feedback, insights, ranking, user_insights, weekly
from api.services.export_csv import checkins_csv
from api.services.export_json import Batches, json_object
from api.services.report_pdf import clinician_pdf
from api.settings import Settings
from api.workslots import HeavyWork, heavy_work_slot

router = APIRouter(
    prefix="/api/v1/me/export",
    tags=["export"],
    dependencies=[Depends(limit_export), Depends(heavy_work_slot)],
)

Format = Literal["csv", "pdf", "json"]


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/pdf": {}, "application/json": {}}},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def export(
    user: CurrentUser,
    db: DbSession,
    settings: AppSettings,
    heavy: HeavyWork,
    format: Annotated[Format, Query()] = "csv",  # noqa: A002
) -> Response:
    # In a work slot (heavy_work_slot), held until the response is sent: the database work
    # in the thread pool, the drawing (seconds of CPU-bound Python and C, which in a thread
    # would hold the GIL against every other request) in a worker process.
    if format != "pdf":
        user_id, today = await run_in_threadpool(_user_id_and_today, db, user)
        return streamed_export(db, user_id, today, format)
    today, report = await run_in_threadpool(pdf_inputs, db, user, settings)
    pdf = await heavy.in_process(clinician_pdf, *report)
    return Response(
        pdf,
        media_type="application/pdf",
        headers=_attachment(f"cadence-summary-{today.isoformat()}.pdf"),
    )


def _user_id_and_today(db: DbSession, user: User) -> tuple[str, dt.date]:
    return user.id, checkins.today_for_user(db, user)


def streamed_export(
    db: DbSession, user_id: str, today: dt.date, format: Format  # noqa: A002
) -> StreamingResponse:
    """The CSV or JSON export, written while the rows are read, a batch at a time, so a long
    history never sits in memory whole. Starlette runs the writing in the thread pool; `db`
    (like the work slot) is a request-scoped dependency, closed once the response is sent."""
    if format == "csv":
        return StreamingResponse(
            checkins_csv(checkins.all_in_batches(db, user_id)),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(f"cadence-checkins-{today.isoformat()}.csv"),
        )
    return StreamingResponse(
        json_object(everything(db, user_id)),
        media_type="application/json",
        headers=_attachment(f"cadence-data-{today.isoformat()}.json"),
    )


def pdf_inputs(db: DbSession, user: User, settings: Settings) -> tuple[dt.date, tuple]:
    """Today, and what clinician_pdf draws: plain data, sent to a worker process. Like the
    insights, it reads only the check-ins of the last insights.HISTORY_DAYS days (the
    period the PDF reports on) and counts the rest in the database."""
    user_id = user.id
    summary = user_insights.summary_for(db, user)
    titles = {t.id: t.title for t in ranking.load_catalogue(settings.techniques_file)}
    helped = sorted(
        (
            (titles.get(technique_id, technique_id.replace("_", " ")), yes, yes + no)
            for technique_id, (yes, no) in feedback.tallies(db, user_id).items()
            if yes
        ),
        key=lambda item: (-item[1] / item[2], -item[2]),
    )
    peg = weekly.peg_course(weekly.all_oldest_first(db, user_id))
    today = summary.today
    days = insights.daily_means(summary.recent)
    return today, (summary.payload, days, helped, today, peg, summary.history)


def _batches_of(db: DbSession, query: Select[Any]) -> Iterator[Sequence[Any]]:
    return scalars_in_batches(db, query, checkins.EXPORT_BATCH_ROWS)


def everything(db: DbSession, user_id: str) -> Iterator[tuple[str, Any]]:
    """Every row we hold about the user, as the JSON export's fields; the lists are read a
    batch at a time, as they are written. Safety events are kept only for this export:
    their kind and time, never what was said."""
    yield "user_id", user_id
    yield "checkins", Batches(
        [CheckinOut.model_validate(row).model_dump(mode="json") for row in batch]
        for batch in checkins.all_in_batches(db, user_id)
    )
    yield "weekly_checks", Batches(
        [WeeklyCheckOut.model_validate(row).model_dump(mode="json") for row in batch]
        for batch in weekly.all_in_batches(db, user_id)
    )
    events = select(SafetyEvent).where(SafetyEvent.user_id == user_id).order_by(SafetyEvent.id)
    yield "safety_events", Batches(
        [{"kind": e.kind, "created_at": e.created_at.isoformat()} for e in batch]
        for batch in _batches_of(db, events)
    )
    votes = (
        select(TechniqueFeedback)
        .where(TechniqueFeedback.user_id == user_id)
        .order_by(TechniqueFeedback.id)
    )
    yield "technique_feedback", Batches(
        [
            {
                "technique_id": v.technique_id,
                "helped": v.helped,
                "created_at": v.created_at.isoformat(),
            }
            for v in batch
        ]
        for batch in _batches_of(db, votes)
    )
