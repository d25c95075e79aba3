"""Download everything: CSV of all check-ins, or a one-page PDF for a clinician."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.db import DbSession
from api.models import User
from api.security import AppSettings, CurrentUserId
from api.services import checkins, feedback, insights, ranking
from api.services.export_csv import checkins_csv
from api.services.report_pdf import clinician_pdf

router = APIRouter(prefix="/api/v1/me/export", tags=["export"])


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
def export(
    user_id: CurrentUserId,
    db: DbSession,
    settings: AppSettings,
    format: Annotated[Literal["csv", "pdf"], Query()] = "csv",  # noqa: A002 - public name
) -> Response:
    user = db.get(User, user_id)
    assert user is not None  # current_user_id checked it
    rows = checkins.all_oldest_first(db, user_id)
    today = checkins.today_for(user, rows[-1].local_date if rows else None)
    if format == "csv":
        return Response(
            checkins_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(f"cadence-checkins-{today.isoformat()}.csv"),
        )
    titles = {t.id: t.title for t in ranking.load_catalogue(settings.techniques_file)}
    helped = sorted(
        (
            (titles.get(technique_id, technique_id.replace("_", " ")), yes, yes + no)
            for technique_id, (yes, no) in feedback.tallies(db, user_id).items()
            if yes
        ),
        key=lambda item: (-item[1] / item[2], -item[2]),
    )
    pdf = clinician_pdf(insights.summarise(rows, today), insights.daily_means(rows), helped, today)
    return Response(
        pdf,
        media_type="application/pdf",
        headers=_attachment(f"cadence-summary-{today.isoformat()}.pdf"),
    )
