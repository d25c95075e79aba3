"""Download your data: CSV of all check-ins, a one-page PDF for a clinician, or JSON of
everything stored about you (check-ins, weekly checks, safety events, technique
feedback)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from api.db import DbSession
from api.models import SafetyEvent, TechniqueFeedback, User
from api.ratelimit import limit_export
from api.schemas import CheckinOut, ErrorOut, WeeklyCheckOut
from api.security import AppSettings, CurrentUser
from api.services import checkins, feedback, insights, ranking, weekly
from api.services.export_csv import checkins_csv
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
    # In a work slot (heavy_work_slot): the database work in the thread pool, the drawing
    # (seconds of CPU-bound Python and C, which in a thread would hold the GIL against
    # every other request) in a worker process.
    if format != "pdf":
        return await run_in_threadpool(build_export, db, user, format)
    today, report = await run_in_threadpool(pdf_inputs, db, user, settings)
    pdf = await heavy.in_process(clinician_pdf, *report)
    return Response(
        pdf,
        media_type="application/pdf",
        headers=_attachment(f"cadence-summary-{today.isoformat()}.pdf"),
    )


def _checkins_and_today(db: DbSession, user: User) -> tuple[list, dt.date]:
    rows = checkins.all_oldest_first(db, user.id)
    return rows, checkins.today_for(user, rows[-1].local_date if rows else None)


def build_export(db: DbSession, user: User, format: Format) -> Response:  # noqa: A002
    user_id = user.id
    rows, today = _checkins_and_today(db, user)
    if format == "csv":
        return Response(
            checkins_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(f"cadence-checkins-{today.isoformat()}.csv"),
        )
    return Response(
        everything_json(db, user_id, rows),
        media_type="application/json",
        headers=_attachment(f"cadence-data-{today.isoformat()}.json"),
    )


def pdf_inputs(db: DbSession, user: User, settings: Settings) -> tuple[dt.date, tuple]:
    """Today, and what clinician_pdf draws: plain data, sent to a worker process."""
    user_id = user.id
    rows, today = _checkins_and_today(db, user)
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
    return today, (insights.summarise(rows, today), insights.daily_means(rows), helped, today, peg)


def everything_json(db: DbSession, user_id: str, rows: list) -> str:
    """Every row we hold about the user. Safety events are kept only for this export:
    their kind and time, never what was said."""
    events = db.scalars(
        select(SafetyEvent).where(SafetyEvent.user_id == user_id).order_by(SafetyEvent.id)
    )
    votes = db.scalars(
        select(TechniqueFeedback)
        .where(TechniqueFeedback.user_id == user_id)
        .order_by(TechniqueFeedback.id)
    )
    return json.dumps(
        {
            "user_id": user_id,
            "checkins": [CheckinOut.model_validate(row).model_dump(mode="json") for row in rows],
            "weekly_checks": [
                WeeklyCheckOut.model_validate(row).model_dump(mode="json")
                for row in weekly.all_oldest_first(db, user_id)
            ],
            "safety_events": [
                {"kind": e.kind, "created_at": e.created_at.isoformat()} for e in events
            ],
            "technique_feedback": [
                {
                    "technique_id": v.technique_id,
                    "helped": v.helped,
                    "created_at": v.created_at.isoformat(),
                }
                for v in votes
            ],
        },
        indent=2,
    )
