"""A real ``jalon serve`` on a free port with a fresh SQLite database, and Debian's Chromium.

The browser tests drive what a user runs: the ``jalon`` command of the venv, in a subprocess, with its
own data folder (database, secret key) under pytest's temporary directory. The browser is
``/usr/bin/chromium`` from Debian, never a browser downloaded by Playwright.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JALON = Path(sys.executable).parent / "jalon"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_BROWSER = REPO / ".ci" / "install-browser"
# Chromium as root on a machine with a closed network (the machine notes): no sandbox, no GPU, and no
# background connections, which the network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Environment variables of the test process that must not reach the server: it gets its own database.
_NOT_INHERITED = ("DATABASE_URL", "JALON_DATA_DIR", "JALON_SECRET_KEY", "JALON_DEBUG")


def chromium_missing_reason() -> str | None:
    """None when /usr/bin/chromium is there (installed by .ci/install-browser if need be), else why not."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{CHROMIUM} is absent and {INSTALL_BROWSER} needs root and apt-get to install it"
    done = subprocess.run([str(INSTALL_BROWSER)], capture_output=True, text=True, timeout=900, check=False)
    if CHROMIUM.exists():
        return None
    return f"{CHROMIUM} is absent and {INSTALL_BROWSER} failed ({done.returncode}): {done.stderr[-500:]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Account:
    username: str
    password: str


@dataclass(frozen=True)
class JalonServer:
    base_url: str
    data_dir: Path
    admin: Account
    collectivite_id: int
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def add_member(self, username: str, role: str) -> Account:
        """A new account with ``role`` in the demo collectivité (written to the server's database)."""
        password = f"{username}-mot-de-passe-de-test"
        _add_member(self.data_dir, self.env, username, password, role)
        return Account(username, password)


def _add_member(data_dir: Path, env: dict[str, str], *member: str) -> int:
    """Runs add_member.py; the demo collectivité's id."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("add_member.py")), str(data_dir), *member],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    collectivite_id: int = json.loads(done.stdout)["collectivite_id"]
    return collectivite_id


def _log(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@contextmanager
def jalon_serve(
    folder: Path, referentiels: Path | None = None, criteres: Path | None = None
) -> Iterator[JalonServer]:
    """``jalon serve`` on a fresh data folder; stopped on exit. Its output goes to files in ``folder``
    (a pipe nobody reads would fill up with the request log and block the server)."""
    data_dir = folder / "data"
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env["PYTHONUNBUFFERED"] = "1"  # the admin password line is read while the server runs
    port = free_port()
    args = [str(JALON), "serve", "--port", str(port), "--data", str(data_dir)]
    if referentiels is not None:
        args += ["--referentiels", str(referentiels.resolve())]  # the server runs in ``folder``
    if criteres is not None:
        args += ["--criteres", str(criteres.resolve())]
    out_path, err_path = folder / "serve.out", folder / "serve.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(args, cwd=folder, stdout=out, stderr=err, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/connexion/", timeout=2).close()
                break
            except urllib.error.HTTPError as error:
                raise AssertionError(f"jalon serve answered {error.code}:\n{_log(err_path)}") from error
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, f"jalon serve stopped:\n{_log(out_path)}\n{_log(err_path)}"
                assert time.monotonic() < deadline, f"jalon serve did not answer:\n{_log(err_path)}"
                time.sleep(0.1)
        # Printed once the server answers, from a thread of its own: wait for it.
        while (printed := re.search(r"mot de passe +: (\S+) +\(affiché", _log(out_path))) is None:
            assert time.monotonic() < deadline, f"no admin password printed:\n{_log(out_path)}"
            time.sleep(0.1)
        cid = _add_member(data_dir, env)
        yield JalonServer(base, data_dir, Account("admin", printed.group(1)), cid, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
