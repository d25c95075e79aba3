"""The PostgreSQL that `make run-scaled` and the scaled tests start asks for a password."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.services import Postgres, available

ok, why = available()
pytestmark = [pytest.mark.scaled, pytest.mark.skipif(not ok, reason=why)]


@pytest.fixture(scope="module")
def postgres():
    server = Postgres().start(databases=("cadence",))
    yield server
    server.stop()


def hba_methods(postgres: Postgres) -> set[str]:
    """The authentication method of every rule in pg_hba.conf (the last field)."""
    lines = (postgres.data_dir / "pg_hba.conf").read_text().splitlines()
    rules = [line.split("#", 1)[0].split() for line in lines]
    return {rule[-1] for rule in rules if rule}


def test_every_connection_needs_a_password(postgres):
    assert hba_methods(postgres) == {"scram-sha-256"}


def test_the_password_is_checked_and_the_url_carries_it(postgres):
    import psycopg2

    dsn = {"host": "127.0.0.1", "port": postgres.port, "user": "postgres", "dbname": "cadence"}
    for password in ("", "wrong"):
        with pytest.raises(psycopg2.OperationalError, match="password"):
            psycopg2.connect(**dsn, password=password).close()
    connection = psycopg2.connect(postgres.url("cadence"))
    connection.close()


def test_the_password_is_on_no_command_line_nor_left_in_a_file(postgres):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert postgres.password not in argv, argv.replace("\0", " ")
    for path in postgres.root.rglob("*"):
        if path.is_file() and stat.S_ISREG(path.stat().st_mode) and path.stat().st_size < 1 << 20:
            assert postgres.password.encode() not in path.read_bytes(), path
