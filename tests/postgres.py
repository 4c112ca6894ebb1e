"""A PostgreSQL server for the tests and the benchmarks, not part of the application: the server
answering on 127.0.0.1:5432 (user postgres, trust), else a Debian cluster started there (installed with
apt when missing, as root), and throwaway databases on it.

    python -m tests.postgres COMMAND [ARG…]

runs COMMAND with DATABASE_URL set to a new empty database, dropped afterwards (how ``make test`` runs
the web suite a second time).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCAL_POSTGRES_PORT = 5432
# First matching line of pg_hba.conf wins: this one goes on top. Only the loopback, only the postgres role.
TRUST_POSTGRES_ON_LOOPBACK = "host all postgres 127.0.0.1/32 trust"
START_WAIT_S = 30.0


def local_postgres_url(port: int = LOCAL_POSTGRES_PORT, database: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"


LOCAL_POSTGRES = local_postgres_url()


def _answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@dataclass(frozen=True)
class Cluster:
    """One line of Debian's ``pg_lsclusters``."""

    release: str
    name: str
    port: int
    online: bool
    log_file: str

    def ctl(self, action: str) -> list[str]:
        # Without it, pg_ctlcluster hands start/stop over to systemctl when systemd runs the machine;
        # started directly, it behaves the same with systemd or without (a container).
        return ["pg_ctlcluster", "--skip-systemctl-redirect", self.release, self.name, action]


def parse_pg_lsclusters(output: str) -> list[Cluster]:
    """``pg_lsclusters --no-header``: Ver Cluster Port Status Owner Data-directory Log-file."""
    clusters = []
    for line in output.splitlines():
        fields = line.split(None, 6)
        if len(fields) < 4 or not fields[2].isdigit():
            continue
        log_file = fields[6] if len(fields) == 7 else ""
        # Status is "online", "down", "online,recovery"…
        online = fields[3].split(",")[0] == "online"
        clusters.append(Cluster(fields[0], fields[1], int(fields[2]), online, log_file))
    return clusters


def debian_clusters() -> list[Cluster]:
    """The machine's Debian clusters (none when postgresql-common is not installed)."""
    if not shutil.which("pg_lsclusters"):
        return []
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True)
    return parse_pg_lsclusters(out.stdout)


def _release_key(release: str) -> list[int]:
    return [int(x) if x.isdigit() else 0 for x in release.split(".")]


def _server_releases() -> list[str]:
    """Installed PostgreSQL server releases, oldest first (Debian's /usr/lib/postgresql/<release>)."""
    found = {p.parent.parent.name for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")}
    return sorted(found, key=_release_key)


def _hba_file(cluster: Cluster) -> Path:
    out = subprocess.run(
        ["pg_conftool", "-s", cluster.release, cluster.name, "show", "hba_file"],
        capture_output=True,
        text=True,
    )
    if out.returncode == 0 and out.stdout.strip():
        return Path(out.stdout.strip())
    return Path("/etc/postgresql") / cluster.release / cluster.name / "pg_hba.conf"


def trust_postgres_on_loopback(hba: Path) -> bool:
    """Put the trust line for postgres on 127.0.0.1 first in ``hba``; whether the file changed."""
    text = hba.read_text(encoding="utf-8")
    rules = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if rules and rules[0] == TRUST_POSTGRES_ON_LOOPBACK.split():
        return False
    hba.write_text(
        f"# jalon: the tests connect as postgres over TCP without a password\n"
        f"{TRUST_POSTGRES_ON_LOOPBACK}\n{text}",
        encoding="utf-8",
    )
    return True


def _install_postgresql(log: Callable[[str], None]) -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            "no PostgreSQL server tools (pg_createcluster) and not root: install Debian's postgresql "
            "or start a server on 127.0.0.1 (user postgres, trust)"
        )
    log("installing Debian's postgresql with apt")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"], check=True, env=env
    )


def _cluster_for_port(port: int, log: Callable[[str], None]) -> Cluster:
    """The Debian cluster configured for ``port``, created when there is none."""
    on_port = [c for c in debian_clusters() if c.port == port]
    if on_port:
        # A running one first (it is the one bound to the port), else the newest release.
        return max(on_port, key=lambda c: (c.online, _release_key(c.release)))
    releases = _server_releases()
    if not releases:
        raise RuntimeError("no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb)")
    release, name = releases[-1], f"jalon{port}"
    log(f"creating the PostgreSQL cluster {release}/{name} on port {port}")
    # C.UTF-8 is always there on Debian: initdb fails on a container whose LANG names a locale that
    # was never generated. The server is started below, once pg_hba.conf lets us in.
    subprocess.run(
        ["pg_createcluster", "--locale", "C.UTF-8", "--port", str(port), release, name],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    created = [c for c in debian_clusters() if (c.release, c.name) == (release, name)]
    if not created:
        raise RuntimeError(f"pg_createcluster {release} {name} did not create a cluster")
    return created[0]


def ensure_local_postgres(port: int = LOCAL_POSTGRES_PORT, log: Callable[[str], None] = print) -> str:
    """The URL of the PostgreSQL maintenance database on 127.0.0.1:``port`` (user postgres, trust).

    The server answering there when there is one. Else a Debian cluster: postgresql is installed with
    apt when its tools are missing (root); the cluster configured for the port is used, or one created
    for it; trust for postgres on 127.0.0.1 goes on top of its pg_hba.conf; it is started (or reloaded).
    """
    url = local_postgres_url(port)
    if _answers(url):
        return url
    log(f"no PostgreSQL answering on 127.0.0.1:{port}: starting a Debian cluster there")
    if not (shutil.which("pg_ctlcluster") and shutil.which("pg_createcluster") and _server_releases()):
        _install_postgresql(log)
    # On a fresh machine the install created a cluster on 5432 without starting it (no systemd in a
    # container, or policy-rc.d forbids it): it is found here, down, and started below.
    cluster = _cluster_for_port(port, log)
    log_file = cluster.log_file or f"/var/log/postgresql/postgresql-{cluster.release}-{cluster.name}.log"
    changed = trust_postgres_on_loopback(_hba_file(cluster))
    where = f"PostgreSQL {cluster.release}/{cluster.name} on 127.0.0.1:{port}"
    if not cluster.online or changed:
        action = "reload" if cluster.online else "start"
        done = subprocess.run(cluster.ctl(action))
        if done.returncode != 0:
            raise RuntimeError(f"{where}: pg_ctlcluster {action} failed; see {log_file}")
    deadline = time.monotonic() + START_WAIT_S
    while not _answers(url):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{where} did not answer {START_WAIT_S:.0f} s after starting it "
                f"(listen_addresses? another program on the port?); see {log_file}"
            )
        time.sleep(0.5)
    return url


@contextmanager
def throwaway_database(
    prefix: str = "jalon_run", log: Callable[[str], None] = print, port: int = LOCAL_POSTGRES_PORT
) -> Iterator[str]:
    """A new empty database on the local server for one run, dropped afterwards with the test
    database Django derives from its name (``test_…``), whatever happens in between."""
    import psycopg

    admin = ensure_local_postgres(port, log)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield local_postgres_url(port, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for db in (name, "test_" + name):
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.postgres COMMAND…``: run a command with DATABASE_URL set to a throwaway
    PostgreSQL database (how ``make test`` runs the web suite a second time)."""
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: python -m tests.postgres COMMAND [ARG…]", file=sys.stderr)
        return 2
    with throwaway_database() as url:
        print(f"DATABASE_URL={url}", flush=True)
        return subprocess.run(command, env={**os.environ, "DATABASE_URL": url}).returncode


if __name__ == "__main__":
    raise SystemExit(main())
