"""`jalon serve` end to end: a fresh folder, migrations, import, admin, login, a statut; then a broken
référentiel folder keeps the previous version."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import jalon
from jalon.loading import DEMO_DIR, load

from .test_concurrency import ACTIONS

JALON = Path(sys.executable).parent / "jalon"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(cwd: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [str(JALON), "serve", "--port", str(port), *args],
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
        except (urllib.error.URLError, ConnectionError):
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
    process.kill()
    raise AssertionError("jalon serve did not answer")


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    return process.communicate(timeout=10)


def test_serve_end_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    process, port = start(tmp_path, "--referentiels", str(folder))
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(base + "/connexion/")
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        # The admin password is printed once, before the server starts answering.
        out, err = stop(process)
        password = re.search(r"admin / (\S+)", out)
        assert password, out + err
        process, port = start(tmp_path, "--referentiels", str(folder))
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
    assert "admin / " not in out  # shown once only
    assert "imported" not in out  # the same folder is not imported twice

    (folder / "personnalisations" / "demo.md").write_text("# Cassée\n```yaml\naction_id: cae_9.9\n```\n")
    process, port = start(tmp_path, "--referentiels", str(folder))
    out, err = stop(process)
    assert re.search(r"personnalisations/demo\.md:\d+", err), err
    assert "previous version" in err


EDITOR_SETUP = """
import json, sys
from pathlib import Path
from jalon.web.serve import configure
configure(None, Path(sys.argv[1]))
from django.contrib.auth.models import User
from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import create_api_token
c = Collectivite.objects.get()
user = User.objects.create_user("editrice")
Membership.objects.create(user=user, collectivite=c, role=Role.EDITION)
print(json.dumps({"collectivite": c.pk, "token": create_api_token(user, "test")}))
"""


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    """Two server processes writing one collectivité at once: each keeps its own cached scores, and
    the stored scores still equal a full evaluation of the stored statuts."""
    process, port = start(tmp_path, "--workers", "2")
    try:
        workers = subprocess.run(
            ["ps", "--ppid", str(process.pid), "-o", "pid="], capture_output=True, text=True, check=True
        ).stdout.split()
        assert len(workers) == 2
        found = json.loads(
            subprocess.run(
                [sys.executable, "-c", EDITOR_SETUP, str(tmp_path / ".jalon")],
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
