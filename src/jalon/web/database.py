"""Database settings from a URL: SQLite by default, PostgreSQL by ``DATABASE_URL``."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock when a transaction
# starts, so two writers queue on the busy timeout instead of failing on a lock upgrade.
# synchronous=FULL: a commit is on disk before it is acknowledged (a collectivité's statuts are not
# to be lost, even to a power cut), as PostgreSQL's default synchronous_commit does.
SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
SQLITE_BUSY_TIMEOUT_S = 20


def sqlite_settings(path: str | Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": SQLITE_INIT,
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_S,
        },
        # Tests run on a file too, not Django's shared in-memory database: WAL, the busy timeout and
        # concurrent connections are then the ones of production. One file per process.
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"jalon-test-{os.getpid()}.sqlite3")},
    }


def parse_database_url(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for ``sqlite:///path`` or ``postgres://user:pw@host:port/name``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:
        path = unquote(url.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError(f"no database file in {url!r}")
        return sqlite_settings(path)
    if scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError(f"no database name in {url!r}")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…")


# -- a PostgreSQL server for the tests and the benchmark ---------------------------------------------

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def ensure_local_postgres(log: Callable[[str], None] = print) -> str:
    """The URL of the PostgreSQL maintenance database on 127.0.0.1:5432 (user postgres, trust auth).

    The machine's server when one answers; else Debian's is installed (root, apt) and its cluster
    started with ``pg_ctlcluster``, with trust for postgres on 127.0.0.1 as the machines here have it.
    """
    if _answers(LOCAL_POSTGRES):
        return LOCAL_POSTGRES
    log("no PostgreSQL on 127.0.0.1:5432: installing and starting Debian's")
    etc = Path("/etc/postgresql")
    if not shutil.which("pg_ctlcluster") or not etc.is_dir() or not any(etc.iterdir()):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env)
    release = sorted((p.name for p in etc.iterdir()), key=lambda v: [int(x) for x in v.split(".")])[-1]
    hba = etc / release / "main" / "pg_hba.conf"
    trust = "host all postgres 127.0.0.1/32 trust\n"
    text = hba.read_text(encoding="utf-8")
    if trust not in text:
        # First matching line wins: ours goes on top. Only the loopback, only the postgres role.
        hba.write_text(trust + text, encoding="utf-8")
    ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", release, "main"]
    running = subprocess.run([*ctl, "status"], capture_output=True).returncode == 0
    subprocess.run([*ctl, "reload" if running else "start"], check=True)
    for _ in range(60):
        if _answers(LOCAL_POSTGRES):
            return LOCAL_POSTGRES
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not answer on 127.0.0.1:5432 after starting it")


@contextmanager
def throwaway_database(prefix: str = "jalon_run", log: Callable[[str], None] = print) -> Iterator[str]:
    """A new empty database on the local server for one run, dropped afterwards with the test
    database Django derives from its name (``test_…``), whatever happens in between."""
    import psycopg

    admin = ensure_local_postgres(log)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for db in (name, "test_" + name):
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    """``python -m jalon.web.database COMMAND…``: run a command with DATABASE_URL set to a throwaway
    PostgreSQL database (how ``make test`` runs the web suite a second time)."""
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: python -m jalon.web.database COMMAND [ARG…]", file=sys.stderr)
        return 2
    with throwaway_database() as url:
        print(f"DATABASE_URL={url}", flush=True)
        return subprocess.run(command, env={**os.environ, "DATABASE_URL": url}).returncode


if __name__ == "__main__":
    raise SystemExit(main())
