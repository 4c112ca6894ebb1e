"""What ``jalon serve`` does before serving: settings, migrations, import, demo data."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jalon.referentiel.errors import Problem, ReferentielError

DEMO_NOM = "Communauté de communes de démonstration"


@dataclass(frozen=True)
class Prepared:
    version_id: int | None
    imported: bool
    problems: tuple[Problem, ...]  # of a broken folder; the previous version stays in use
    admin_password: str | None  # only when the admin account was just created


def configure(database: str | None, data_dir: Path) -> None:
    """Point Django at the database (a URL, else SQLite in ``data_dir``) and set it up."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["JALON_DATA_DIR"] = str(data_dir)
    if database:
        os.environ["DATABASE_URL"] = database
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    os.environ.setdefault("JALON_SECRET_KEY", key_file.read_text(encoding="utf-8").strip())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jalon.web.settings")
    import django

    django.setup()


def prepare(referentiels: Path | None) -> Prepared:
    """Migrate, import the référentiel folder when it changed, create the demo collectivité and admin."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from jalon.web.collectivites.models import Collectivite, Membership, Role
    from jalon.web.referentiels.services import current_version, import_folder

    call_command("migrate", interactive=False, verbosity=0)
    problems: tuple[Problem, ...] = ()
    imported = False
    try:
        result = import_folder(referentiels)
        imported = result.created
        version_id: int | None = result.version.pk
    except ReferentielError as error:
        problems = error.problems
        previous = current_version()
        version_id = previous.pk if previous else None
    password = None
    with transaction.atomic():
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            password = secrets.token_urlsafe(12)
            admin = User.objects.create_superuser("admin", "", password)
        collectivite = Collectivite.objects.filter(nom=DEMO_NOM).first()
        if collectivite is None:
            collectivite = Collectivite.objects.create(
                nom=DEMO_NOM, type="EPCI", population=45_000, localisation="Metropole"
            )
        Membership.objects.get_or_create(user=admin, collectivite=collectivite, defaults={"role": Role.ADMIN})
    return Prepared(version_id, imported, problems, password)


# Waitress runs every request of a process in one thread pool: the LiveScores cache of
# statuts/services.py stays warm for every request of the process, and writers of a collectivité queue
# on its lock. Several processes (``workers``) each keep their own cache; the revision and the history
# stored with the scores keep it honest (a stale one catches up on the statuts written elsewhere).
SERVER_THREADS = 8


def default_workers() -> int:
    """One process on SQLite, one per core (up to 4) on PostgreSQL; measured in the README (Web
    performance). SQLite has one writer at a time: within a process writers queue on a lock and are
    woken at once, across processes they poll for the database, and the slowest writes got slower.
    On PostgreSQL writers queue on the collectivité's row lock whatever the process, and a second
    process takes a second core past the GIL."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def run(port: int, dev: bool = False, threads: int | None = None, workers: int | None = None) -> None:
    """Serve on 127.0.0.1: waitress (a production WSGI server), or Django's runserver with ``dev``."""
    from django.core.management import call_command

    if dev:
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        return
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application
    from waitress import serve

    # The app's few static files (admin, htmx) are served by Django itself: no collectstatic step
    # and no second server for a tool that listens on localhost only.
    app = StaticFilesHandler(get_wsgi_application())
    if workers is None:
        workers = default_workers()
    if threads is None:
        # The same 8 threads in all: with 8 per process, more writers waited on the row lock at once
        # and the slowest writes got slower (README, Web performance).
        threads = max(2, SERVER_THREADS // workers)
    options: dict[str, Any] = {"threads": threads, "ident": "jalon", "clear_untrusted_proxy_headers": True}
    if workers <= 1:
        serve(app, host="127.0.0.1", port=port, **options)
        return
    _serve_forked(workers, port, lambda sock: serve(app, sockets=[sock], **options))


def _serve_forked(workers: int, port: int, serve_on: Callable[[socket.socket], None]) -> None:
    """``workers`` processes, forked after set-up, accepting on one listening socket (the kernel hands
    each connection to one of them). The parent only waits: a signal to it stops them all, and so
    does the death of any one (no half-working server)."""
    from django.db import connections

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    connections.close_all()  # a database connection must never be shared across a fork
    sys.stdout.flush()  # else each worker would inherit, and print again, what is buffered
    sys.stderr.flush()
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve until killed
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                serve_on(sock)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        os.wait()  # any worker's end (or a signal) ends the server
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
