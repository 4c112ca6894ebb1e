"""`jalon serve` refuses to start on a database it cannot write to, naming the path and the reason,
instead of starting and then failing every write (or ending in a traceback that names nothing)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from jalon.web.database import DatabaseUnusable, check_sqlite_writable
from tests.web.test_serve import free_port

JALON = Path(sys.executable).parent / "jalon"
NOBODY = 65534


def serve(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The refusal comes before anything listens on the port.
    return subprocess.run(
        [str(JALON), "serve", "--port", str(free_port()), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=60,
    )


def test_a_data_folder_that_cannot_be_made_is_named_and_nothing_starts(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("pas un dossier")
    done = serve(tmp_path, "--data", str(tmp_path / "fichier" / "donnees"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert str(tmp_path / "fichier") in done.stderr
    assert "Dossier des données inutilisable" in done.stderr


def test_a_sqlite_url_in_a_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("pas un dossier")
    target = tmp_path / "fichier" / "base.sqlite3"
    done = serve(tmp_path, "--database", f"sqlite:///{target}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Jalon ne peut pas démarrer" in done.stderr
    assert str(tmp_path / "fichier") in done.stderr


@pytest.mark.slow  # half a minute: the pool waits DB_POOL_TIMEOUT_S for a connection before giving up
def test_a_postgresql_server_that_does_not_answer_is_named(tmp_path: Path) -> None:
    done = serve(tmp_path, "--database", "postgresql://postgres@127.0.0.1:1/absente")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "127.0.0.1, base absente" in done.stderr
    assert "ne répond pas" in done.stderr


def test_a_writable_sqlite_file_passes_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "base.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (1)")
    check_sqlite_writable(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT x FROM t").fetchall() == [(1,)]
        # The probe's table was rolled back.
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'jalon_write_check'").fetchall() == []


def _check_as_nobody(path: Path) -> str:
    """check_sqlite_writable run by an unprivileged user (root ignores file permissions), in a forked
    child that already has everything imported: its message, or "ok"."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            check_sqlite_writable(path)
            message = "ok"
        except DatabaseUnusable as error:
            message = str(error)
        except BaseException as error:
            message = f"unexpected {error!r}"
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to become another user (run as root, as in CI)")
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_sqlite_database_is_refused_with_its_path(read_only: str) -> None:
    # Not under pytest's tmp_path: its parents are private to root, where the other user cannot go.
    top = Path(tempfile.mkdtemp(prefix="jalon-lecture-seule-"))
    try:
        _check_read_only(top, read_only)
    finally:
        shutil.rmtree(top)


def _check_read_only(tmp_path: Path, read_only: str) -> None:
    folder = tmp_path / "donnees"
    folder.mkdir()
    path = folder / "jalon.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x INTEGER)")
    os.chmod(tmp_path, 0o755)
    # The folder stays readable by all; writes are what is refused (WAL needs to create files beside).
    os.chmod(path, 0o444 if read_only == "file" else 0o666)
    os.chmod(folder, 0o755 if read_only == "file" else 0o555)
    if read_only == "folder":
        os.chown(path, NOBODY, NOBODY)
    message = _check_as_nobody(path)
    assert message.startswith(f"la base SQLite {path} n'est pas utilisable en écriture"), message

    os.chmod(path, 0o666)
    os.chmod(folder, 0o777)
    assert _check_as_nobody(path) == "ok"
