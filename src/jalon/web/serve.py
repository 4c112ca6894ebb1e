"""What ``jalon serve`` does before serving: settings, migrations, import, demo data."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
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
    """Point Django at the database (a URL, else SQLite in ``data_dir``) and set it up. A database that
    cannot take writes, or a data folder that cannot be made, stops here with a message naming it."""
    from jalon.web.database import DatabaseUnusable, check_sqlite_writable, parse_database_url

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file = data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            key_file.chmod(0o600)
        key = key_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SystemExit(
            f"Dossier des données inutilisable : {error.filename or data_dir} : {error.strerror or error}"
        ) from error
    url = database or os.environ.get("DATABASE_URL")
    try:
        settings = parse_database_url(url) if url else None
    except ValueError as error:
        raise SystemExit(f"Adresse de base de données invalide : {error}") from error
    try:
        if settings is None:
            check_sqlite_writable(data_dir / "jalon.sqlite3")
        elif settings["ENGINE"].endswith("sqlite3") and settings["NAME"] != ":memory:":
            check_sqlite_writable(Path(settings["NAME"]).resolve())
    except DatabaseUnusable as error:
        raise SystemExit(f"Jalon ne peut pas démarrer : {error}") from error
    os.environ["JALON_DATA_DIR"] = str(data_dir)
    if database:
        os.environ["DATABASE_URL"] = database
    os.environ.setdefault("JALON_SECRET_KEY", key)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jalon.web.settings")
    import django
    from django.db import DatabaseError, connection

    django.setup()
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        db = connection.settings_dict
        where = f"{db.get('HOST') or 'socket local'}, base {db['NAME']}"
        raise SystemExit(
            f"Jalon ne peut pas démarrer : la base de données ({where}) ne répond pas : {error}"
        ) from error


def connect(database: str | None, data_dir: Path) -> None:
    """``configure``, then bring the tables up to date: what an operator command needs, on the
    database ``jalon serve`` uses (one run before the first ``jalon serve`` finds them ready)."""
    configure(database, data_dir)
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def prepare(referentiels: Path | None, criteres: Path | None = None) -> Prepared:
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
        result = import_folder(referentiels, criteres)
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


# Granian (a Rust HTTP server) parses HTTP and queues requests outside Python; in each worker process,
# ``threads`` Python threads run the app. Each process remembers the scored states of the collectivités
# it last wrote (statuts/write.py), keyed by their stored revision: any number of processes and
# instances on one database stay exact, a write made elsewhere simply makes the next one re-read.
#
# Threads per process, by database (docs/performance.md, the web application). On SQLite a request
# never waits for a server, so a second thread only fights the first for the GIL. On PostgreSQL a
# request spends much of its time waiting for the server's answers, time other threads use: 4 served
# the most requests.
SQLITE_THREADS = 1
POSTGRESQL_THREADS = 4
# Connections a worker serves at once; a kept-alive connection holds its place even when idle, and
# clients past the limit waited for the whole run of the load bench. Far above 20 clients.
SERVER_BACKPRESSURE = 1024
# On SIGTERM/SIGINT the workers stop accepting and finish the requests they have (kept-alive
# connections do not hold them); one still busy after this many seconds (a hung request) is killed,
# and its transaction rolled back.
SERVER_KILL_TIMEOUT_S = 3


def default_threads() -> int:
    from django.db import connection

    return SQLITE_THREADS if connection.vendor == "sqlite" else POSTGRESQL_THREADS


def default_workers() -> int:
    """One process, on SQLite and on PostgreSQL alike; measured in docs/performance.md. The
    writers of a collectivité queue on its lock whatever the process, and a second process must
    first catch its cached scores up with every write of the other: with 20 clients on one
    collectivité, two processes served fewer requests than one, and less evenly."""
    return 1


def run(port: int, dev: bool = False, threads: int | None = None, workers: int | None = None) -> None:
    """Serve on 127.0.0.1: granian (a production HTTP server), or Django's runserver with ``dev``."""
    from django.core.management import call_command

    if dev:
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        return
    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces

    # Built here, once: granian forks its workers (multiprocessing's default start method on Linux up
    # to Python 3.13), which then serve at once with the app already loaded. Where it spawns them
    # (Python 3.14+, whose default is forkserver), each worker imports Django and the app again (half
    # a second more here) and finds the database and the key in the environment configure() set.
    import jalon.web.wsgi  # noqa: F401

    check_port_free(port)  # again: it may have been taken during the set-up
    if workers is None:
        workers = default_workers()
    server = Granian(
        target="jalon.web.wsgi:application",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads or default_threads(),
        backpressure=SERVER_BACKPRESSURE,
        # A worker that dies (a crash, the OOM killer) stops the whole server: the others are stopped,
        # "Unexpected exit from worker-N" is logged and the exit status is 1. Never a half-working
        # server, and whoever restarts it sees why. Respawning (granian gives up only on a worker that
        # dies again within 5.5 s) would keep quiet a crash that comes back less often.
        respawn_failed_workers=False,
        workers_kill_timeout=SERVER_KILL_TIMEOUT_S,
        websockets=False,
        log_access=False,
    )
    connections.close_all()  # a database connection must never be shared across a fork
    server.serve(target_loader=_worker_app, wrap_loader=False)


def check_port_free(port: int) -> None:
    """Granian listens with SO_REUSEPORT, so a second server on a port already served would start too,
    and the kernel would share the connections between the two (two databases behind one address):
    refuse, as a server listening alone would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT are fine
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise SystemExit(
                f"127.0.0.1:{port} est déjà pris ({error.strerror}) : un autre serveur ? "
                "Choisissez un autre port avec --port."
            ) from error


def _worker_app() -> Any:
    """What a granian worker process serves, loaded in it before it starts serving (a module-level
    function: a spawned worker receives it pickled)."""
    _die_with_main_process()
    from jalon.web.wsgi import application

    return application


def _die_with_main_process() -> None:
    """Have Linux kill this worker when granian's main process dies. A signal the main process can
    catch stops the workers with it, but after a SIGKILL (kill -9, the OOM killer) they would go on
    serving as orphans, unsupervised, and keep the port from a new ``jalon serve``."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import multiprocessing

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    main = multiprocessing.parent_process()
    if main is not None and os.getppid() != main.pid:  # it died before the call above
        os._exit(1)
