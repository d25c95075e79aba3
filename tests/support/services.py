"""Private PostgreSQL and Redis servers for the scaled tests and `make run-scaled`.

Each runs from a temporary directory on a free loopback port and is stopped afterwards,
so tests never depend on (or disturb) a server someone started by hand. PostgreSQL
refuses to run as root, so when we are root it runs as the `postgres` system user that
the Debian package creates.

PostgreSQL asks for a password (scram-sha-256), never trusts a connection for its own
sake: any local account could otherwise reach every user's health data on the port. The
password is new for each server and goes to initdb in a 0600 file and to clients in the
URL they are given through their environment, never on a command line.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tests.support.stack import free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def postgres_bin(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def available() -> tuple[bool, str]:
    if postgres_bin("initdb") is None:
        return False, "PostgreSQL server binaries not installed (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return False, "redis-server not installed (apt-get install redis-server)"
    return True, ""


def _as_postgres_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class Postgres:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cadence-pg-")))
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    process: subprocess.Popen | None = None

    AUTH_METHOD = "scram-sha-256"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        password = quote(self.password, safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def _write_password_file(self) -> Path:
        path = self.root / "password"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")
        return path

    def start(self, databases: tuple[str, ...] = ("cadence", "rasa")) -> Postgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        password_file = self._write_password_file()
        try:
            subprocess.run(
                _as_postgres_user([postgres_bin("initdb"), "-D", str(self.data_dir),
                                   "-U", "postgres", f"--auth={self.AUTH_METHOD}",
                                   f"--pwfile={password_file}", "--no-sync", "-E", "UTF8"]),
                check=True, capture_output=True,
            )
        finally:
            password_file.unlink()
        self.process = subprocess.Popen(
            _as_postgres_user([postgres_bin("postgres"), "-D", str(self.data_dir),
                               "-p", str(self.port), "-k", str(self.root),
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                               "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while subprocess.run([postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p",
                              str(self.port)], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not start")
            time.sleep(0.2)
        client_env = {**os.environ, "PGPASSWORD": self.password}
        for database in databases:
            subprocess.run([postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", database], check=True, capture_output=True,
                           env=client_env)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Redis:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Database 0: Rasa's lock store."""
        return self.database_url(0)

    @property
    def rate_limit_url(self) -> str:
        """Database 1: the API's shared rate-limit counters, apart from the locks."""
        return self.database_url(1)

    def database_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                             capture_output=True, text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise TimeoutError("Redis did not start")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
