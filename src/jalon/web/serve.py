"""What ``jalon serve`` does before serving: settings, migrations, import, demo data."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

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


# Waitress runs every request of the process in one thread pool: the LiveScores cache of
# statuts/services.py stays warm for every request, and writers of a collectivité queue on its lock.
SERVER_THREADS = 8


def run(port: int, dev: bool = False, threads: int = SERVER_THREADS) -> None:
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
    serve(
        StaticFilesHandler(get_wsgi_application()),
        host="127.0.0.1",
        port=port,
        threads=threads,
        ident="jalon",
        clear_untrusted_proxy_headers=True,
    )
