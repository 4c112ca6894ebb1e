"""`jalon serve` end to end: a fresh folder, migrations, import, admin, login, a statut; then a broken
référentiel folder keeps the previous version. Then the server processes granian runs: the database
they are given, two of them writing one collectivité, and how they stop (a signal, a dead worker, a
killed main process). In the PostgreSQL pass of the suite each served app gets a throwaway database
of its own on the same server."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import jalon
from jalon.loading import DEMO_DIR, load
from tests.postgres import LOCAL_POSTGRES_PORT, throwaway_database
from tests.web.statuts.test_concurrency import ACTIONS

# Each test starts `jalon serve` and its workers in other processes.
pytestmark = pytest.mark.slow

JALON = Path(sys.executable).parent / "jalon"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# `jalon serve` with the given multiprocessing start method: granian forks its workers where it is
# the default (Linux up to Python 3.13) and spawns them where it is not (3.14+: forkserver).
SERVE_WITH_START_METHOD = """
import multiprocessing, sys
multiprocessing.set_start_method(sys.argv[1])
from jalon.cli import app
app(sys.argv[2:], prog_name="jalon")
"""


@pytest.fixture
def database() -> Iterator[list[str]]:
    """The ``--database`` option of the served app: none (SQLite in its data folder), or in the
    PostgreSQL pass a new empty database on the server of DATABASE_URL, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield []
        return
    port = urlsplit(url).port or LOCAL_POSTGRES_PORT
    with throwaway_database("jalon_serve", log=lambda line: None, port=port) as served:
        yield ["--database", served]


PASSWORD = re.compile(r"mot de passe +: (\S+) +\(affiché cette fois seulement")


def read_until_ready(process: subprocess.Popen[str]) -> list[str]:
    """The lines ``jalon serve`` prints up to the end of its message once the server answers (read as
    they come: what ``stop`` reads afterwards starts after them)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C pour arrêter."):
            return lines
    raise AssertionError("\n".join(lines))


def read_password(process: subprocess.Popen[str]) -> str:
    found = PASSWORD.search("\n".join(read_until_ready(process)))
    assert found, "no password printed"
    return found.group(1)


def start(cwd: Path, *args: str, start_method: str | None = None) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    command = [str(JALON), "serve", "--port", str(port), *args]
    if start_method:
        command = [sys.executable, "-c", SERVE_WITH_START_METHOD, start_method, *command[1:]]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2)
            return process, port
        except OSError:  # refused, reset, or a first answer slower than 2 s (URLError is one too)
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
    process.kill()
    raise AssertionError("jalon serve did not answer")


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    return process.communicate(timeout=10)


def children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def running(pid: int) -> bool:
    """Not ended (a zombie waiting for its parent to reap it has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_ended(pids: list[int], seconds: float) -> list[int]:
    """The pids still running after ``seconds`` at most."""
    deadline = time.monotonic() + seconds
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if running(pid)]


def test_serve_end_to_end(tmp_path: Path, database: list[str]) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    process, port = start(tmp_path, "--referentiels", str(folder), *database)
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(base + "/connexion/")
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        # The admin password is printed once, when the server answers.
        out, err = stop(process)
        password = PASSWORD.search(out)
        assert password, out + err
        process, port = start(tmp_path, "--referentiels", str(folder), *database)
        base = f"http://127.0.0.1:{port}"
        jar.clear()
        opener.open(base + "/connexion/")
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = {"username": "admin", "password": password.group(1), "csrfmiddlewaretoken": csrf}
        home = opener.open(base + "/connexion/", urllib.parse.urlencode(form).encode()).read().decode()
        assert "démonstration" in home
        dashboard_url = base + re.findall(r'href="(/c/\d+/)"', home)[0]
        assert "étoile" in opener.open(dashboard_url).read().decode()
    finally:
        out, err = stop(process)
    assert PASSWORD.search(out) is None  # shown once only
    assert "mot de passe perdu ?" in out
    assert "importés" not in out  # the same folder is not imported twice

    (folder / "personnalisations" / "demo.md").write_text("# Cassée\n```yaml\naction_id: cae_9.9\n```\n")
    process, port = start(tmp_path, "--referentiels", str(folder), *database)
    out, err = stop(process)
    assert re.search(r"personnalisations/demo\.md:\d+", err), err
    assert re.search(r"la version précédente \(\d+\) reste en service", err), err


def test_serve_prints_the_address_the_admin_and_its_password_last_with_how_to_reset_it(
    tmp_path: Path, database: list[str]
) -> None:
    process, port = start(tmp_path, *database)
    try:
        lines = read_until_ready(process)
    finally:
        out, err = stop(process)
    assert process.returncode == 0, out + err
    password = PASSWORD.search(lines[-4])
    assert password and len(password.group(1)) >= 12, lines
    reset = f"{JALON} utilisateur mot-de-passe admin" + (f" --database {database[1]}" if database else "")
    assert lines[-6:] == [
        f"Jalon est prêt : http://127.0.0.1:{port}/",
        "  utilisateur   : admin",
        lines[-4],
        f"  mot de passe perdu ? {reset}",
        f"  API : http://127.0.0.1:{port}/api/docs",
        "Ctrl-C pour arrêter.",
    ]
    # The server's start-up lines come before, never after: the password is not lost among them.
    assert any("Listening at" in line for line in lines[:-6]), lines
    # The command printed works as printed, on the served database.
    reset_command = lines[-3].split("mot de passe perdu ? ", 1)[1]
    changed = subprocess.run(
        [*shlex.split(reset_command), "--generer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert changed.returncode == 0, changed.stderr
    assert "Mot de passe de admin changé." in changed.stdout


EDITOR_SETUP = """
import json, sys
from pathlib import Path
from jalon.web.serve import configure
configure(sys.argv[2] or None, Path(sys.argv[1]))
from django.contrib.auth.models import User
from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import create_api_token
c = Collectivite.objects.get()
user = User.objects.create_user("editrice")
Membership.objects.create(user=user, collectivite=c, role=Role.EDITION)
print(json.dumps({"collectivite": c.pk, "token": create_api_token(user, "test")}))
"""


def test_serve_with_two_worker_processes(tmp_path: Path, database: list[str]) -> None:
    """Two server processes writing one collectivité at once: each keeps its own cached scores, and
    the stored scores still equal a full evaluation of the stored statuts."""
    process, port = start(tmp_path, "--workers", "2", *database)
    try:
        assert len(children(process.pid)) == 2  # granian's workers, forked by its main process
        found = json.loads(
            subprocess.run(
                [sys.executable, "-c", EDITOR_SETUP, str(tmp_path / ".jalon"), (database or ["", ""])[1]],
                capture_output=True,
                text=True,
                check=True,
                cwd=tmp_path,
                env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # the server's SQLite, as start()
            ).stdout.splitlines()[-1]
        )
        base = f"http://127.0.0.1:{port}/api/collectivites/{found['collectivite']}"
        headers = {"Authorization": f"Bearer {found['token']}", "Content-Type": "application/json"}

        def call(path: str, body: object = None) -> Any:
            data = None if body is None else json.dumps(body).encode()
            method = "GET" if body is None else "PUT"
            request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
            with urllib.request.urlopen(request, timeout=60) as response:  # a new connection each time
                return json.loads(response.read())

        avancements = ["fait", "programme", "pas_fait", "non_renseigne"]
        failures: list[str] = []

        def client(n: int) -> None:
            for i in range(12):
                try:
                    action = ACTIONS[(n + i) % len(ACTIONS)]
                    call(f"/statuts/{action}", {"avancement": avancements[(n * i) % 4]})
                except Exception as error:  # collected: an assert in a thread would go unseen
                    failures.append(repr(error))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        tree = {node["action_id"]: node["scores"] for node in call("/referentiels/cae")}
        statuts = {
            a: [p / 100 for p in s["detaille"]] if s["avancement"] == "detaille" else s["avancement"]
            for a, s in call("/statuts").items()
        }
        expected = jalon.evaluate(
            load(DEMO_DIR),
            {"Collectivité": call("")["identite"], "Réponses": {}, "Statuts": statuts},
        )
        assert tree == expected  # the demo has one référentiel
    finally:
        stop(process)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_workers_serve_the_database_they_are_given(
    tmp_path: Path, database: list[str], start_method: str
) -> None:
    """The workers answer from the database given by --database (a file outside --data on SQLite),
    written by the set-up of the main process: forked, they inherit its settings; spawned, they start
    afresh from the environment it set."""
    database = database or ["--database", f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"]
    data = tmp_path / "data"
    process, port = start(tmp_path, "--data", str(data), *database, start_method=start_method)
    try:
        password = read_password(process)
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(base + "/connexion/")
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = {"username": "admin", "password": password, "csrfmiddlewaretoken": csrf}
        home = opener.open(base + "/connexion/", urllib.parse.urlencode(form).encode()).read().decode()
        assert "démonstration" in home  # the admin and the demo collectivité the set-up created
    finally:
        out, err = stop(process)
    assert process.returncode == 0, out + err
    assert (data / "secret_key").exists()
    assert not (data / "jalon.sqlite3").exists()


def test_sigterm_stops_the_server_and_its_workers_at_once(tmp_path: Path, database: list[str]) -> None:
    """Even with a client's connection kept alive; and a second server is refused the port (granian
    listens with SO_REUSEPORT, which would have them share it)."""
    process, port = start(tmp_path, "--data", str(tmp_path / "data"), *database)
    try:
        workers = children(process.pid)
        assert workers
        second = subprocess.run(
            [str(JALON), "serve", "--port", str(port), "--data", str(tmp_path / "other")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert second.returncode == 1
        assert f"127.0.0.1:{port} est déjà pris" in second.stderr
        assert not (tmp_path / "other").exists()  # refused before setting anything up
        kept_alive = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        kept_alive.request("GET", "/api/openapi.json")
        assert kept_alive.getresponse().read()
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
        assert time.monotonic() - began < 3
        kept_alive.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out + err
    assert "shutdown completed" in out
    assert wait_ended(workers, 1) == []


def test_a_dead_worker_stops_the_whole_server(tmp_path: Path, database: list[str]) -> None:
    """Granian stops the other workers and exits with status 1: no half-working server."""
    process, _ = start(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2", *database)
    try:
        workers = children(process.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out + err
    assert "Unexpected exit from worker" in out
    assert wait_ended(workers, 1) == []


def test_the_workers_die_with_a_killed_main_process(tmp_path: Path, database: list[str]) -> None:
    """A SIGKILL cannot be caught: the kernel kills the workers then (else orphans go on serving)."""
    process, port = start(tmp_path, "--data", str(tmp_path / "data"), "--workers", "2", *database)
    workers = children(process.pid)
    assert len(workers) == 2
    process.kill()
    process.communicate(timeout=10)
    assert wait_ended(workers, 5) == []
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2)
