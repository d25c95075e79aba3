"""Insights endpoint latency for one user with 1,000 check-ins (run with .venv-api).

Builds a migrated temporary SQLite database, stores 1,000 check-ins spread over 1,000
days for one user (as the action server would, then back-dated), and times
GET /api/v1/me/insights through the full app (auth, DB read, maths, JSON).

Usage: .venv-api/bin/python -m bench.insights_latency [--checkins 1000] [--requests 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
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

    from api.main import create_app
    from api.models import Checkin

    app = create_app()
    rng = random.Random(7)
    with TestClient(app) as client:
        session = client.post("/api/v1/sessions").json()
        user_id, token = session["user_id"], session["token"]
        for i in range(args.checkins):
            pain = rng.randint(0, 10)
            client.post("/api/v1/internal/checkins", headers={"X-Service-Key": "bench-key"},
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
    samples.sort()
    print(f"insights with {args.checkins} check-ins: p50 {statistics.median(samples):.1f} ms, "
          f"p95 {samples[int(0.95 * (len(samples) - 1))]:.1f} ms over {args.requests} requests")


if __name__ == "__main__":
    main()
