"""Insights endpoint latency for one user with 1,000 check-ins (run with .venv-api).

Builds a migrated temporary SQLite database, stores 1,000 check-ins spread over 1,000
days for one user (as the action server would, then back-dated), and times
GET /api/v1/me/insights through the full app (auth, DB read, maths, JSON). Prints the
result and prepends it to bench/RESULTS.md as a dated section, newest first like
bench/run.py's latency runs.

Usage: .venv-api/bin/python -m bench.insights_latency [--checkins 1000] [--requests 100]
                                                      [--note "what this run measures"]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from bench.run import RESULTS, percentile


def section(checkins: int, samples: list[float], note: str | None) -> str:
    """The run as a RESULTS.md section, in the shape of bench/run.py's."""
    lines = [
        f"## Insights latency of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        textwrap.fill(
            f"`GET /api/v1/me/insights` for one user with {checkins} check-ins, one a day "
            "(`bench/insights_latency.py`: the whole app in process on SQLite, after one "
            "warm-up request).",
            width=90,
        ),
    ]
    if note:
        lines += ["", textwrap.fill(note, width=90)]
    lines += [
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "",
        "| measure | check-ins | requests | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
        f"| insights | {checkins} | {len(samples)} | {statistics.median(samples):.1f} | "
        f"{percentile(samples, 95):.1f} |",
        "",
    ]
    return "\n".join(lines)


def prepend(report: str) -> None:
    previous = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    header, _, older = previous.partition("\n## ")
    RESULTS.write_text(header.rstrip() + "\n\n" + report + ("\n## " + older if older else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--note", help="a paragraph for RESULTS.md: the commit, the context")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cadence-insights-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{folder}/cadence.db",
        TRACKER_STORE_URL=f"sqlite:///{folder}/tracker.db",
        JWT_SECRET="bench-secret-0123456789abcdef0123456789", SERVICE_KEY="bench-key",
        RASA_TOKEN="bench", RATE_LIMIT_CHAT="100000/minute", RATE_LIMIT_SESSIONS="1000/minute",
    )
    from alembic import command
    from alembic.config import Config
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    config = Config(str(Path(__file__).resolve().parents[1] / "api" / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"])
    command.upgrade(config, "head")

    from api.main import create_app, create_internal_app
    from api.models import Checkin

    app = create_app()
    rng = random.Random(7)
    with TestClient(app) as client, TestClient(create_internal_app()) as internal:
        session = client.post("/api/v1/sessions").json()
        user_id, token = session["user_id"], session["token"]
        for i in range(args.checkins):
            pain = rng.randint(0, 10)
            internal.post("/api/v1/internal/checkins", headers={"X-Service-Key": "bench-key"},
                          json={"user_id": user_id, "idempotency_key": f"k{i}", "pain": pain,
                                "fatigue": min(10, max(0, pain + rng.randint(-2, 2))),
                                "sleep_quality": rng.randint(0, 10), "stress": rng.randint(0, 10)})
        # Spread them over the past days, one a day, newest today.
        factory = app.state.sessionmaker
        with factory() as db:
            rows = db.query(Checkin).order_by(Checkin.id.desc()).all()
            today = dt.date.today()
            for offset, row in enumerate(rows):
                db.execute(update(Checkin).where(Checkin.id == row.id).values(
                    local_date=today - dt.timedelta(days=offset)))
            db.commit()
        headers = {"Authorization": f"Bearer {token}"}
        client.get("/api/v1/me/insights", headers=headers).raise_for_status()
        samples = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get("/api/v1/me/insights", headers=headers).raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
    report = section(args.checkins, samples, args.note)
    print(report)
    prepend(report)


if __name__ == "__main__":
    main()
