"""One-page PDF summary a person can hand to their clinician.

matplotlib draws the chart through its object API (Figure + Agg canvas, no pyplot), so no
global state is shared between concurrent requests. Fonts come from matplotlib's bundled
DejaVu Sans, which covers far more than the PDF core fonts' Latin-1.

One page is a promise, not a hope: page breaks are off, every list row is one line, and
the sections below the chart are measured before they are drawn (see clinician_pdf).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.schemas import PegOut
from api.services.insights import CORRELATION_WINDOW_DAYS, HISTORY_DAYS, Day, DaysWithData

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
# The period the page reports on, and all of the check-ins it reads: the insights' days
# (insights.HISTORY_DAYS: the patterns' 90 days). Earlier days appear only as the count of
# days with data and the date of the first.
CHART_DAYS = HISTORY_DAYS
# The footer block starts this far above the page's bottom edge; the body must end at
# least FOOTER_GAP_MM above it.
FOOTER_MM = 18
FOOTER_GAP_MM = 2
# (flare rows, technique rows) to show, tried in order until the body fits above the
# footer. The first fits a typical history; the fullest one a person can produce (a month
# of alternating flares, strong patterns, a year of PEG answers, 14 techniques: see
# tests/api/test_export.py) needs the second. The rest are for content nobody foresaw.
ROW_LIMITS = ((6, 8), (4, 6), (3, 4), (2, 2), (1, 1))


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


def _one_line(pdf: Any, text: str, width: float) -> str:
    """`text`, cut with an ellipsis if it would wrap in a cell `width` mm wide: list rows stay
    one line each, so a long technique title cannot push the page past its footer."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text.rstrip() + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


class PageOverflow(RuntimeError):
    """Even the shortest version of the summary would run into the footer."""


# A block of the page below the chart: ("heading", text) or ("line", text).
Block = tuple[str, str]
HEADING_MM = 2 + 6  # the gap above a heading, then its cell
LINE_MM = 4.6


def clinician_pdf(
    summary: dict[str, Any],
    days: Sequence[Day],
    helped: Sequence[tuple[str, int, int]],
    today: dt.date,
    peg: PegOut | None = None,
    history: DaysWithData | None = None,
) -> bytes:
    """`summary` is insights.summarise(); `days` its daily means, at least the last
    CHART_DAYS of them; `helped` is (title, helped, tried) per technique, most helpful
    first; `peg` is the weekly PEG course (weekly.peg_course); `history` the all-time days
    with data (counted from `days` without it).

    The promise is one page, so automatic page breaks are off and the fit is measured
    instead: the sections below the chart are measured before they are drawn, and if they
    would reach the footer they are laid out with fewer flare and technique rows (the
    oldest flares and least helpful techniques go first, counted in an "...and N more"
    line). If even the shortest layout does not fit, this fails loudly rather than print
    over the footer or spill onto a second page.
    """
    pdf = _page()
    _summary_top(pdf, summary, days, today, history or DaysWithData.of(days))
    bottom = pdf.h - FOOTER_MM - FOOTER_GAP_MM
    for max_flares, max_techniques in ROW_LIMITS:
        blocks = _listings(pdf, summary, helped, peg, max_flares, max_techniques)
        overflow = pdf.get_y() + sum(_height(pdf, block) for block in blocks) - bottom
        if overflow <= 0:
            break
    else:
        raise PageOverflow(f"the summary would run {overflow:.0f} mm into the footer even "
                           "with the fewest rows")
    for block in blocks:
        _draw(pdf, block)
    if pdf.get_y() > bottom:  # measured and drawn heights disagree: still never overlap
        raise PageOverflow(f"the summary ran {pdf.get_y() - bottom:.0f} mm into the footer")
    _footer(pdf)
    return bytes(pdf.output())


def _page() -> Any:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 12, 15)
    pdf.add_page()
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", fonts / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", fonts / "DejaVuSans-Bold.ttf")
    pdf.set_title("Cadence check-in summary")
    return pdf


def _draw(pdf: Any, block: Block) -> None:
    from fpdf.enums import XPos, YPos

    kind, text = block
    if kind == "heading":
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(pdf.epw, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(pdf.epw, LINE_MM, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _height(pdf: Any, block: Block) -> float:
    from fpdf.enums import MethodReturnValue

    kind, text = block
    if kind == "heading":
        return HEADING_MM
    pdf.set_font("DejaVu", "", 9)
    height: float = pdf.multi_cell(
        pdf.epw, LINE_MM, text, dry_run=True, output=MethodReturnValue.HEIGHT
    )
    return height


def _footer(pdf: Any) -> None:
    pdf.set_y(-FOOTER_MM)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(
        pdf.epw,
        LINE_MM,
        "Generated by Cadence, an open-source coaching tool for chronic pain and fatigue. "
        "It does not diagnose or give treatment advice. Free-text notes and mood screening "
        "answers are not included.",
    )


def _summary_top(
    pdf: Any, summary: dict[str, Any], days: Sequence[Day], today: dt.date, history: DaysWithData
) -> None:
    """Title, period, averages table and chart: the same size whatever the history."""
    from fpdf.enums import XPos, YPos

    width = pdf.epw
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, "Cadence check-in summary", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    first = history.first.isoformat() if history.first else "-"
    period_start = today - dt.timedelta(days=CHART_DAYS - 1)
    _draw(pdf, ("line",
                f"Prepared {today.isoformat()} for a clinician. Self-reported daily check-ins "
                f"from {first} to {today.isoformat()} ({summary['n_days']} days with data); "
                f"this page covers the last {CHART_DAYS} days, {period_start.isoformat()} to "
                f"{today.isoformat()}. Scores are 0-10. This is a self-management record, "
                "not a diagnosis."))

    _draw(pdf, ("heading", "Averages and trends"))
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
        _draw(pdf, ("line", "No check-ins yet, so there is no chart."))


def _listings(
    pdf: Any,
    summary: dict[str, Any],
    helped: Sequence[tuple[str, int, int]],
    peg: PegOut | None,
    max_flares: int,
    max_techniques: int,
) -> list[Block]:
    """Flares, PEG, patterns and techniques, with at most the given flare and technique
    rows; each of those rows is one line."""
    pdf.set_font("DejaVu", "", 9)
    width = pdf.epw
    blocks: list[Block] = [("heading", "Flares (last 30 days)")]
    flares = summary["flares"]
    if not flares:
        blocks.append(("line", "No flares: no day was 2 or more points above the previous "
                               "two weeks' average."))
    for flare in flares[:max_flares]:
        parts = [
            f"{name} {v['value']:.0f} (usual {v['baseline']:.1f})"
            for name, v in flare["measures"].items()
        ]
        row = f"{flare['local_date'].isoformat()}: " + ", ".join(parts)
        blocks.append(("line", _one_line(pdf, row, width)))
    if len(flares) > max_flares:
        blocks.append(("line", f"...and {len(flares) - max_flares} more."))

    blocks.append(("heading", "PEG score (pain, enjoyment of life, general activity; weekly)"))
    if peg is None:
        blocks.append(("line", "No weekly PEG answers yet."))
    else:
        scores = "   ".join(f"{s.local_date.isoformat()}: {s.peg:.1f}" for s in peg.scores[-8:])
        blocks.append(("line", scores))
        if peg.change_pct is not None:
            blocks.append(("line",
                           f"Change since the first score ({peg.first_local_date.isoformat()}): "
                           f"{peg.change_pct:+.0f}%. A 30% drop is considered meaningful "
                           "(Krebs et al., 2009)."))

    patterns = f"Patterns (last {CORRELATION_WINDOW_DAYS} days; pattern, not proof)"
    blocks.append(("heading", patterns))
    for key, label in PATTERN_LABELS.items():
        result = summary["correlations"][key]
        r = f"r = {result['r']:+.2f}, " if result["r"] is not None else ""
        blocks.append(("line", f"{label}: {r}{result['n_days']} days. {result['message']}"))

    blocks.append(("heading", "Techniques that helped"))
    if not helped:
        blocks.append(("line", "No technique feedback recorded yet."))
    for title, times_helped, tried in helped[:max_techniques]:
        tally = f": helped {times_helped} of {tried} times tried"
        blocks.append(("line", _one_line(pdf, title, width - pdf.get_string_width(tally)) + tally))
    if len(helped) > max_techniques:
        blocks.append(("line", f"...and {len(helped) - max_techniques} more."))
    return blocks
