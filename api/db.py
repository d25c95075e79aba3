"""Database engines, the per-request session dependency, and what to do when the
database is busy or briefly unavailable."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import tenacity
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("cadence.api.db")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def normalise_url(url: str) -> str:
    """Plain postgres:// and postgresql:// URLs use psycopg 3, the driver we install.

    SQLAlchemy would otherwise pick psycopg2, and Rasa's tracker store URL is usually
    written without a driver.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _create_private(path: Path) -> None:
    """Create the database file readable and writable by its owner only, if it is missing.

    SQLite would create it 0644 (less the umask), and it gives its -wal, -shm and -journal
    files the mode of the database file: health data any local account could read.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    connect_args: dict[str, object] = {}
    path = sqlite_path(url)
    if path is not None:
        # Fresh checkouts have no var/ yet; SQLite cannot create the directory itself.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if is_sqlite:
        # FastAPI runs sync dependencies and endpoints in a thread pool.
        connect_args["check_same_thread"] = False
    # A database server can drop a pooled connection (restart, idle timeout), so each
    # checkout is tested first; a SQLite file cannot, and the test is a query per request.
    # hide_parameters: a database error's text otherwise ends with the statement's values
    # (user ids, notes, message text), and the server logs an unhandled one whole.
    engine = create_engine(
        url, connect_args=connect_args, pool_pre_ping=not is_sqlite, hide_parameters=True
    )
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    if path is not None and not make_url(url).query.get("uri"):
        # On connect, not here: an engine must not create a file it may never use (the
        # erase code looks for Rasa's tracker file before it connects).
        event.listen(engine, "do_connect", lambda *_: _create_private(path))
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, and WAL lets readers run during a write.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is still safe against application crashes and saves an fsync
    # per commit (two commits per chat turn).
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite waits this long for a lock itself; short, so that `retry_when_busy` (which
    # rolls back and starts the unit of work again) keeps a request within its budget.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # A DELETE otherwise only marks pages free and the erased health data stays readable
    # in the file; this overwrites it with zeros (see api/services/erase.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint_sqlite(engine: Engine) -> None:
    """Copy the write-ahead log into the database file and truncate it to zero bytes, so
    that pages written before a delete are gone from the -wal file too. No-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:  # a reader held an old snapshot: the next checkpoint finishes the job
        log.warning("WAL checkpoint after erase could not complete; will finish later")


# --- busy or briefly unavailable ----------------------------------------------------------
# A locked SQLite file, a PostgreSQL restart, a dropped connection or a deadlock fail one
# attempt, not the request: a unit of work that is safe to repeat (a check-in is, through
# its idempotency key) is rolled back and run again with exponential backoff and jitter.
# The budget keeps the answer inside the action server's 3 s client timeout: at most
# RETRY_ATTEMPTS attempts, no new one once RETRY_BUDGET_S has passed, each SQLite attempt
# waiting at most SQLITE_BUSY_TIMEOUT_MS for a lock. What still fails becomes a 503 with
# Retry-After (see get_session), never a 500: the outbox then delivers it later, once.
SQLITE_BUSY_TIMEOUT_MS = 1000
RETRY_ATTEMPTS = 4  # at t ≈ 0, 0.1, 0.3, 0.7 s (+ jitter): the budget allows no fifth
RETRY_BUDGET_S = 1.5
RETRY_AFTER_S = 2
BUSY_DETAIL = "The database is busy right now. Please try again in a moment."


def is_transient(exc: BaseException) -> bool:
    """Busy, locked, deadlocked or disconnected: worth another attempt."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def _roll_back(state: tenacity.RetryCallState) -> None:
    session: Session = state.args[0]
    session.rollback()  # a failed flush or commit leaves the session unusable until then
    log.warning(
        "database busy (%s), attempt %d; retrying in %.2fs",
        type(state.outcome.exception()).__name__ if state.outcome else "?",
        state.attempt_number,
        state.upcoming_sleep,
    )


P = ParamSpec("P")
R = TypeVar("R")


def retry_when_busy(
    work: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Run `work(session, ...)` again while the database is busy; only for work that is
    safe to repeat after a rollback (it must commit last and be idempotent)."""
    retrying = tenacity.retry(
        retry=tenacity.retry_if_exception(is_transient),
        stop=tenacity.stop_after_attempt(RETRY_ATTEMPTS)
        | tenacity.stop_before_delay(RETRY_BUDGET_S),
        wait=tenacity.wait_exponential(multiplier=0.1, max=0.8) + tenacity.wait_random(0, 0.1),
        before_sleep=_roll_back,
        reraise=True,
    )
    return retrying(work)


async def get_session(request: Request) -> AsyncIterator[Session]:
    # Async, so that FastAPI does not hop to the thread pool to open the session: opening
    # it does no I/O (the connection is checked out on first use, in the route's thread).
    # Closing returns the connection to the pool, which can be I/O, so it runs there when
    # the route left a transaction open.
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    except DBAPIError as exc:
        if not is_transient(exc):
            raise
        # Busy beyond the retry budget (or work that is not retried): this is temporary,
        # so say when to come back (the outbox and the widget retry a 503) — not a 500.
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=BUSY_DETAIL,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)  # hands a connection back: can be I/O
        else:
            session.close()  # after a commit, or with no query at all: nothing to give back


DbSession = Annotated[Session, Depends(get_session)]


def scalars_in_batches(db: Session, query: Select[Any], batch_rows: int) -> Iterator[Sequence[Any]]:
    """The query's rows `batch_rows` at a time, for work that can go a batch at a time (an
    export): the database sends them as they are read (a server-side cursor on PostgreSQL)
    and a batch is forgotten once the next is read, so memory holds one batch however many
    rows there are. `db` must stay open until the last batch (a request's DbSession closes
    after its streamed response is sent)."""
    yield from db.scalars(query.execution_options(yield_per=batch_rows)).partitions()
