"""Database settings from a URL: SQLite by default, PostgreSQL by ``DATABASE_URL``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock when a transaction
# starts, so two writers queue on the busy timeout instead of failing on a lock upgrade.
# synchronous=FULL: a commit is on disk before it is acknowledged (a collectivité's statuts are not
# to be lost, even to a power cut), as PostgreSQL's default synchronous_commit does.
SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
SQLITE_BUSY_TIMEOUT_S = 20
# PostgreSQL: one pool of connections per server process. Each request takes a connection from it and
# hands it back at its end, whatever thread serves it: granian's threads come and go, and with a
# connection kept per thread (CONN_MAX_AGE) every ended thread left its connection open until the
# garbage collector ran (7 → 22 idle connections on a server, the oldest idle for 12 minutes).
# At most DB_POOL_MAX_SIZE connections per process (above the threads a process runs: 4 by default;
# a request past it waits up to DB_POOL_TIMEOUT_S); those above one are closed after a minute unused.
DB_POOL_MAX_SIZE = 16
DB_POOL_MAX_IDLE_S = 60
DB_POOL_TIMEOUT_S = 30


def sqlite_settings(path: str | Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": SQLITE_INIT,
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_S,
        },
        # Kept open across requests: opening a connection and running the pragmas again at every
        # request cost more than the request's own queries.
        "CONN_MAX_AGE": None,
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
        _close_pools_before_fork()
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
            "CONN_MAX_AGE": 0,  # the pool keeps the connections, not the threads
            "OPTIONS": {
                "pool": {
                    "min_size": 1,
                    "max_size": DB_POOL_MAX_SIZE,
                    "max_idle": DB_POOL_MAX_IDLE_S,
                    "timeout": DB_POOL_TIMEOUT_S,
                }
            },
        }
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…")


class DatabaseUnusable(Exception):
    """The database cannot take writes: ``jalon serve`` refuses to start, naming it and why, rather than
    start and then fail every write."""


def check_sqlite_writable(path: Path) -> None:
    """Create the folder if needed, then write to the file the way the app will (WAL, a write lock) in a
    transaction rolled back. Permissions alone would not tell: root ignores them, and WAL also needs
    to create files beside the database."""
    import sqlite3

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnusable(
            f"impossible de créer le dossier des données {path.parent} : {error.strerror or error}"
        ) from error
    try:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            connection.executescript(SQLITE_INIT)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("CREATE TABLE jalon_write_check (x INTEGER)")
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise DatabaseUnusable(
            f"la base SQLite {path} n'est pas utilisable en écriture : {error} "
            f"(vérifiez les droits sur le fichier et sur son dossier {path.parent})"
        ) from error


_fork_hook_registered = False


def _close_pools_before_fork() -> None:
    """A pool's connections (and its threads) must not be shared with a forked process: ``jalon serve``
    forks its granian workers after using the database, so the pools are closed just before any fork;
    each process then opens its own on first use."""
    global _fork_hook_registered
    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(before=close_connection_pools)
        _fork_hook_registered = True


def close_connection_pools() -> None:
    """Close this process's PostgreSQL connection pools (Django opens a new one when next needed)."""
    if "django.db" not in sys.modules:
        return
    from django.db import connections

    for alias in connections:
        wrapper = connections[alias]
        if wrapper.vendor == "postgresql" and wrapper.settings_dict.get("OPTIONS", {}).get("pool"):
            wrapper.close()  # this thread's connection back to the pool first
            wrapper.close_pool()  # type: ignore[attr-defined]
