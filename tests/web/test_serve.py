"""`jalon serve` end to end: a fresh folder, migrations, import, admin, login, a statut; then a broken
référentiel folder keeps the previous version."""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from jalon.loading import DEMO_DIR

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
