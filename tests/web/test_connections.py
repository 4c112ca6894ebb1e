"""Connections to the database: bounded on PostgreSQL (a pool per process, idle connections closed after
a minute), kept open on SQLite (opening one costs more than a request's own queries)."""

from __future__ import annotations

import gc
import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from jalon.web.database import DB_POOL_MAX_SIZE, parse_database_url, sqlite_settings


def test_postgresql_settings_use_a_bounded_pool() -> None:
    db = parse_database_url("postgresql://jalon:pw@127.0.0.1:5432/jalon")
    assert db["CONN_MAX_AGE"] == 0  # each request hands its connection back to the pool
    pool = db["OPTIONS"]["pool"]
    assert pool["max_size"] == DB_POOL_MAX_SIZE and pool["min_size"] <= 1
    assert pool["max_idle"] == 60  # an idle connection above min_size is closed after a minute


def test_sqlite_keeps_its_connections_open() -> None:
    assert sqlite_settings("/tmp/x.sqlite3")["CONN_MAX_AGE"] is None
    assert "pool" not in sqlite_settings("/tmp/x.sqlite3")["OPTIONS"]
    assert parse_database_url("sqlite:///x.sqlite3")["CONN_MAX_AGE"] is None


@pytest.mark.django_db(transaction=True)
def test_threads_that_served_a_request_and_ended_leave_no_connection_open() -> None:
    """What granian does: its threads come and go; each served requests, each left its connection
    open, and the idle connections piled up (7 → 22 on a server, the oldest idle for 12 minutes)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL)")

    def serve_one_request() -> None:
        request_started.send(sender=None)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        request_finished.send(sender=None)

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
            count: int = cursor.fetchone()[0]
        return count

    gc.disable()  # a dead thread's connection is otherwise closed whenever the collector runs
    try:
        before = backends()
        for _ in range(3 * DB_POOL_MAX_SIZE):
            thread = threading.Thread(target=serve_one_request)
            thread.start()
            thread.join()
        assert backends() - before <= 1
    finally:
        gc.enable()


@pytest.mark.django_db(transaction=True)
def test_a_forked_process_opens_its_own_connections() -> None:
    """``jalon serve`` forks its workers after using the database: the pool is closed before the fork, so
    that parent and child never talk over the same connection."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL)")
    import os

    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid: int = cursor.fetchone()[0]
        return pid

    before = backend_pid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its own connection, not the parent's
        try:
            os.write(write, str(backend_pid()).encode())
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    child_backend = int(os.read(read, 32) or b"0")
    os.close(read)
    assert status == 0 and child_backend not in (0, before)
    backend_pid()  # the parent's connections still work
