"""One-page PDF summary a person can hand to their clinician.

matplotlib draws the chart through its object API (Figure + Agg canvas, no pyplot), so no
global state is shared between concurrent requests. Fonts come from matplotlib's bundled
DejaVu Sans, which covers far more than the PDF core fonts' Latin-1.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.schemas import PegOut
from api.services.insights import Day

MEASURE_LABELS = {
    "pain": "Pain (0 none - 10 worst)",
    "fatigue": "Fatigue (0 none - 10 worst)",
    "sleep_quality": "Sleep quality (0 terrible - 10 excellent)",
    "stress": "Stress (0 none - 10 worst)",
}
PATTERN_LABELS = {
    "pain_fatigue": "Pain and fatigue, same day",
    "sleep_next_day_pain": "Sleep → next-day pain",
    "sleep_next_day_fatigue": "Sleep → next-day fatigue",
}
CHART_DAYS = 90


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def trend_chart_png(days: Sequence[Day], today: dt.date) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    shown = [d for d in days if d.date > today - dt.timedelta(days=CHART_DAYS)]
    figure = Figure(figsize=(7.2, 2.8), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    dates = [d.date for d in shown]
    for measure, label, colour in [
        ("pain", "Pain", "#b03a2e"),
        ("fatigue", "Fatigue", "#1f5f8b"),
        ("sleep_quality", "Sleep quality", "#2e7d32"),
    ]:
        axes.plot(
            dates,
            [d.value(measure) for d in shown],
            marker="o",
            markersize=2.5,
            linewidth=1.4,
            label=label,
            color=colour,
        )
    axes.set_ylim(0, 10)
    axes.set_ylabel("score (0-10)")
    axes.set_title(f"Daily scores, last {CHART_DAYS} days", fontsize=10)
    axes.grid(alpha=0.3)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.legend(loc="upper left", fontsize=8, ncols=3, frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _fmt(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def clinician_pdf(
    summary: dict[str, Any],
    days: Sequence[Day],
    helped: Sequence[tuple[str, int, int]],
    today: dt.date,
    peg: PegOut | None = None,
) -> bytes:
    """`summary` is insights.summarise(); `helped` is (title, helped, tried) per technique;
    `peg` is the weekly PEG course (weekly.peg_course)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", fonts / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.set_title("Cadence check-in summary")
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)

    def line(text: str) -> None:
        pdf.multi_cell(width, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, "Cadence check-in summary", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    first = days[0].date.isoformat() if days else "-"
    line(
        f"Prepared {today.isoformat()} for a clinician. Self-reported daily check-ins "
        f"from {first} to {today.isoformat()} ({summary['n_days']} days with data). "
        "Scores are 0-10. This is a self-management record, not a diagnosis."
    )

    heading("Averages and trends")
    columns = [
        ("Measure", 70),
        ("7-day avg", 25),
        ("30-day avg", 25),
        ("30-day trend / day", 35),
        ("Days", 25),
    ]
    pdf.set_font("DejaVu", "B", 9)
    for title, w in columns:
        pdf.cell(w, 5.5, title, border="B")
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for measure, label in MEASURE_LABELS.items():
        m = summary["measures"][measure]
        values = [
            label,
            _fmt(m["avg_7d"]),
            _fmt(m["avg_30d"]),
            _fmt(m["trend_30d"], 2, signed=True),
            str(m["days_30d"]),
        ]
        for value, (_, w) in zip(values, columns, strict=True):
            pdf.cell(w, 5, value)
        pdf.ln()

    pdf.ln(1)
    if days:
        pdf.image(io.BytesIO(trend_chart_png(days, today)), w=width)
    else:
        line("No check-ins yet, so there is no chart.")

    heading("Flares (last 30 days)")
    flares = summary["flares"]
    if not flares:
        line("No flares: no day was 2 or more points above the previous two weeks' average.")
    for flare in flares[:6]:
        parts = [
            f"{name} {v['value']:.0f} (usual {v['baseline']:.1f})"
            for name, v in flare["measures"].items()
        ]
        line(f"{flare['local_date'].isoformat()}: " + ", ".join(parts))
    if len(flares) > 6:
        line(f"...and {len(flares) - 6} more.")

    heading("PEG score (pain, enjoyment of life, general activity; weekly)")
    if peg is None:
        line("No weekly PEG answers yet.")
    else:
        line("   ".join(f"{s.local_date.isoformat()}: {s.peg:.1f}" for s in peg.scores[-8:]))
        if peg.change_pct is not None:
            line(
                f"Change since the first score ({peg.first_local_date.isoformat()}): "
                f"{peg.change_pct:+.0f}%. A 30% drop is considered meaningful "
                "(Krebs et al., 2009)."
            )

    heading("Patterns (pattern, not proof)")
    for key, label in PATTERN_LABELS.items():
        result = summary["correlations"][key]
        r = f"r = {result['r']:+.2f}, " if result["r"] is not None else ""
        line(f"{label}: {r}{result['n_days']} days. {result['message']}")

    heading("Techniques that helped")
    if not helped:
        line("No technique feedback recorded yet.")
    for title, times_helped, tried in helped[:8]:
        line(f"{title}: helped {times_helped} of {tried} times tried")

    pdf.set_y(-18)
    pdf.set_font("DejaVu", "", 7.5)
    line(
        "Generated by Cadence, an open-source coaching tool for chronic pain and fatigue. "
        "It does not diagnose or give treatment advice. Free-text notes and mood screening "
        "answers are not included."
    )
    return bytes(pdf.output())
