"""The PostgreSQL server the second run of the web suite uses: the one answering, else one started."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import postgres
from tests.postgres import (
    Cluster,
    debian_clusters,
    ensure_local_postgres,
    local_postgres_url,
    parse_pg_lsclusters,
    throwaway_database,
    trust_postgres_on_loopback,
)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def free_port() -> Iterator[int]:
    """A port nothing listens on and no Debian cluster is configured for; afterwards, the clusters
    configured for it are stopped and dropped (only those: another run may have its own)."""
    configured = {c.port for c in debian_clusters()}
    # Started from the pid so that two runs at once on the machine look at different ports.
    candidates = range(55432 + os.getpid() % 100, 55632)
    port = next((p for p in candidates if p not in configured and not _listening(p)), None)
    if port is None:
        pytest.skip("no free port in 55432–55631")
    try:
        yield port
    finally:
        for c in debian_clusters():
            if c.port == port:
                subprocess.run(["pg_dropcluster", "--stop", c.release, c.name], check=True)


@pytest.mark.postgres
@pytest.mark.skipif(os.geteuid() != 0, reason="creating a PostgreSQL cluster needs root")
@pytest.mark.skipif(not shutil.which("pg_createcluster"), reason="no Debian postgresql (pg_createcluster)")
def test_a_server_is_created_and_started_when_none_answers_on_the_port(free_port: int) -> None:
    port = free_port
    assert not _listening(port)
    said: list[str] = []

    url = ensure_local_postgres(port=port, log=said.append)

    assert url == local_postgres_url(port)
    assert any(f"on port {port}" in line for line in said), said
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_setting('port')").fetchone() == (str(port),)
    [cluster] = [c for c in debian_clusters() if c.port == port]
    assert (cluster.name, cluster.online) == (f"jalon{port}", True)
    with throwaway_database("jalon_fallback", log=said.append, port=port) as db_url:
        assert f":{port}/jalon_fallback_" in db_url
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1)")
            assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


@pytest.mark.postgres
@pytest.mark.skipif(os.geteuid() != 0, reason="creating a PostgreSQL cluster needs root")
@pytest.mark.skipif(not shutil.which("pg_createcluster"), reason="no Debian postgresql (pg_createcluster)")
def test_the_cluster_configured_for_the_port_is_started_when_it_is_down(free_port: int) -> None:
    # As on a fresh container: apt's postinst created the cluster but could not start it.
    port = free_port
    release = postgres._server_releases()[-1]
    subprocess.run(
        ["pg_createcluster", "--port", str(port), release, f"down{port}"], check=True, capture_output=True
    )
    assert not _listening(port)

    url = ensure_local_postgres(port=port, log=lambda line: None)

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_setting('port')").fetchone() == (str(port),)
    assert [(c.name, c.online) for c in debian_clusters() if c.port == port] == [(f"down{port}", True)]
    hba = Path(f"/etc/postgresql/{release}/down{port}/pg_hba.conf").read_text(encoding="utf-8")
    rules = [line for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules[0] == "host all postgres 127.0.0.1/32 trust"


def test_the_server_answering_on_5432_is_used_without_installing_or_starting_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not postgres._answers(local_postgres_url(5432)):
        pytest.skip("no PostgreSQL answering on 127.0.0.1:5432 (user postgres, trust)")

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"ran {args!r}")

    monkeypatch.setattr(subprocess, "run", forbidden)
    said: list[str] = []

    assert ensure_local_postgres(log=said.append) == "postgresql://postgres@127.0.0.1:5432/postgres"
    assert said == []


def test_pg_lsclusters_lines_are_read_with_their_port_status_and_log_file() -> None:
    output = (
        "15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/pg-15-main.log\n"
        "16  jalon55432 55432 down,binaries_missing postgres /var/lib/postgresql/16/jalon55432\n"
        "15  replica 5433 online,recovery postgres /var/lib/postgresql/15/replica /var/log/pg 15.log\n"
    )

    assert parse_pg_lsclusters(output) == [
        Cluster("15", "main", 5432, True, "/var/log/postgresql/pg-15-main.log"),
        Cluster("16", "jalon55432", 55432, False, ""),
        Cluster("15", "replica", 5433, True, "/var/log/pg 15.log"),
    ]


def test_the_trust_line_goes_first_in_pg_hba_once(tmp_path: Path) -> None:
    hba = tmp_path / "pg_hba.conf"
    hba.write_text(
        "# comment\nlocal all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )

    assert trust_postgres_on_loopback(hba) is True
    assert trust_postgres_on_loopback(hba) is False

    rules = [line for line in hba.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert rules == [
        "host all postgres 127.0.0.1/32 trust",
        "local all postgres peer",
        "host all all 127.0.0.1/32 scram-sha-256",
    ]
