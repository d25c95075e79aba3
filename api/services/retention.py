"""Note when people use Cadence, and erase the data of those who stopped.

Tokens expire TOKEN_TTL_DAYS after they were issued or last renewed, so someone away for
longer can no longer see, export or erase what they told Cadence. After
CADENCE_RETENTION_DAYS without an authenticated request it is erased for them, Rasa's
tracker events included, by the same code as `DELETE /api/v1/me` (services/erase.py).

The API runs this every CADENCE_RETENTION_INTERVAL_HOURS; to run it from cron instead
(with the interval set to 0), from the repository root:

    .venv-api/bin/python -m api.services.retention
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import threading
from collections.abc import Awaitable, Callable

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.db import is_transient
from api.models import User, utcnow
from api.services import erase

log = logging.getLogger("cadence.api.retention")

# last_seen_at moves at most this often: a write on every request would queue every read
# behind SQLite's single writer, and retention counts in days.
ACTIVITY_RESOLUTION = dt.timedelta(hours=1)
BATCH = 200
# The first run waits this long after start-up, so it never slows a start or a test run,
# and still runs when the process restarts more often than the interval.
FIRST_RUN_DELAY_S = 60.0


def record_activity(db: Session, user: User, now: dt.datetime) -> None:
    if now - user.last_seen_at < ACTIVITY_RESOLUTION:
        return
    user.last_seen_at = now
    try:
        db.commit()
    except DBAPIError as exc:
        if not is_transient(exc):
            raise
        # Not worth failing the request for: a later one records it.
        db.rollback()
        log.warning("activity not recorded: database busy")


def erase_inactive_users(
    db: Session,
    tracker: Engine,
    now: dt.datetime,
    retention_days: float,
    stop: threading.Event | None = None,
) -> int:
    """Erase everyone last seen more than `retention_days` before `now`; the count.

    Stops early when `stop` is set (between two users, never half-way through one). A
    failure (the tracker store unreachable) propagates: that user, and everyone after, is
    tried again on the next run.
    """
    cutoff = now - dt.timedelta(days=retention_days)
    erased = 0
    while not (stop and stop.is_set()):
        user_ids = db.scalars(
            select(User.id)
            .where(User.last_seen_at < cutoff)
            .order_by(User.last_seen_at)
            .limit(BATCH)
        ).all()
        # End the read transaction: on SQLite a stale one could not become a write later.
        db.rollback()
        if not user_ids:
            break
        for user_id in user_ids:
            if stop and stop.is_set():
                break
            erase.erase_everything(tracker, db, user_id)
            erased += 1
    return erased


def run(
    sessions: sessionmaker[Session],
    tracker: Engine,
    now: dt.datetime,
    retention_days: float,
    stop: threading.Event | None = None,
) -> int:
    """One run of the job with its own database session; the number of users erased."""
    with sessions() as db:
        erased = erase_inactive_users(db, tracker, now, retention_days, stop)
    # A count only: which users were erased is nobody's business, least of all a log's.
    log.info("retention: erased %d users inactive for %g days", erased, retention_days)
    return erased


async def erase_inactive_periodically(
    run_once: Callable[[], int],
    interval_hours: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Call `run_once` in the thread pool every `interval_hours` until cancelled."""
    delay = FIRST_RUN_DELAY_S
    while True:
        await sleep(delay)
        delay = interval_hours * 3600
        try:
            await run_in_threadpool(run_once)
        except Exception as exc:  # the job must outlive one failed run
            log.warning(
                "retention run failed (%s); next try in %g hours",
                type(exc).__name__,
                interval_hours,
            )


def main() -> int:
    """`python -m api.services.retention`: one run, configured like the API (environment)."""
    from api.db import make_engine
    from api.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    engine = make_engine(settings.database_url_resolved)
    tracker = make_engine(settings.tracker_store_url_resolved)
    try:
        erased = run(sessionmaker(engine), tracker, utcnow(), settings.cadence_retention_days)
    except Exception as exc:
        log.error("retention run failed (%s)", type(exc).__name__)
        return 1
    finally:
        engine.dispose()
        tracker.dispose()
    print(f"erased {erased} users inactive for {settings.cadence_retention_days:g} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
