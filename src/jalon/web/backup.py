"""``jalon sauvegarde`` / ``jalon restauration``: the whole database and the stored files in one archive,
and back into an empty instance.

The archive is a tar file: ``manifest.json`` (format version, Jalon's version, database vendor, date,
migrations applied, rows per table, sha256 of every other member), one ``tables/APP.MODEL.jsonl`` per
model, and ``fichiers/…`` for the stored files (MEDIA_ROOT, when the settings have one).

Why a portable dump rather than the database's own tools: ``pg_dump`` may not be installed, and the
rows in Django's serialized form load on SQLite as on PostgreSQL, so a backup of one restores into the
other. Consistency while writes go on comes from reading every table inside one snapshot: on
PostgreSQL a REPEATABLE READ transaction, on SQLite a deferred read transaction (WAL gives it a snapshot
of the first read; unlike the IMMEDIATE transactions of the pages it takes no write lock, so the site
keeps writing during a backup). Import this module only once ``jalon.web.serve.connect`` has set Django up.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from jalon.evaluation import evaluate_state
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.operator import OperatorError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import loaded_version
from jalon.web.statuts.models import Reponse, ScoreSet, StatutRecord
from jalon.web.statuts.services import statut_value
from jalon.web.statuts.write import statut_of

FORMAT = "jalon-sauvegarde"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables/"
FILES = "fichiers/"

# What a step reports: a description, and how many units of work it did (of its total).
Progress = Callable[[str, int, int], None]


def _quiet(description: str, done: int, total: int) -> None:
    pass


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, keeping the microseconds of times (it cuts them to milliseconds): a restored row
    is then the row that was saved."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backed_up_models() -> list[type[models.Model]]:
    """Every table of the database Django manages, many-to-many tables as tables of their own (their rows
    keep their ids), ordered by name so that two backups of one state are alike."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _own_fields(model: type[models.Model]) -> list[str]:
    """The columns of a model's table, without its many-to-many fields (their tables are backed up)."""
    return [f.name for f in model._meta.local_concrete_fields]


def stored_files_root() -> Path | None:
    """Where uploaded files are stored (MEDIA_ROOT), if this installation stores any."""
    root = getattr(settings, "MEDIA_ROOT", "")
    return Path(root) if root else None


def _stored_files() -> list[tuple[Path, str]]:
    root = stored_files_root()
    if root is None or not root.is_dir():
        return []
    return [(p, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*")) if p.is_file()]


@contextmanager
def snapshot() -> Iterator[None]:
    """Every read inside sees the database as it was at the first one, while other connections write."""
    if connection.in_atomic_block:
        yield  # already one transaction (as in a test): its reads are consistent
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        # Django runs SQLite in autocommit mode outside atomic blocks: this BEGIN is then ours, DEFERRED
        # so that it takes no write lock (atomic() would begin IMMEDIATE and block the site's writers).
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jalon_version() -> str:
    try:
        return importlib.metadata.version("jalon")
    except importlib.metadata.PackageNotFoundError:
        return "inconnue"


@dataclass(frozen=True)
class Summary:
    rows: int
    tables: int
    files: int


def backup(archive: Path, progress: Progress = _quiet) -> Summary:
    """Write the archive; refuses to overwrite a file. Written beside it under another name, then renamed:
    an interrupted backup leaves no archive that looks whole."""
    if archive.exists():
        raise OperatorError(f"{archive} existe déjà : choisissez un autre nom (rien n'est écrasé)")
    if not archive.parent.is_dir():
        raise OperatorError(f"{archive.parent} : ce dossier n'existe pas")
    chosen = backed_up_models()
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".jalon-sauvegarde-") as work:
        folder = Path(work)
        parts: list[tuple[Path, str]] = []
        try:
            with snapshot():
                migrations = sorted([m.app, m.name] for m in MigrationRecorder.Migration.objects.all())
                for done, model in enumerate(chosen):
                    label = model._meta.label_lower
                    progress(f"table {label}", done, len(chosen))
                    path = folder / f"{label}.jsonl"
                    queryset = model._base_manager.order_by("pk")
                    with path.open("w", encoding="utf-8") as f:
                        serializers.serialize(
                            "jsonl",
                            queryset.iterator(),
                            stream=f,
                            cls=ExactEncoder,
                            fields=_own_fields(model),
                        )
                    counts[label] = queryset.count()
                    parts.append((path, TABLES + path.name))
                # Copied while the snapshot is held, so that a file uploaded or deleted afterwards does
                # not count; its copy is what is hashed and archived (the original may change meanwhile).
                files = _stored_files()
                copied = 0
                for done, (source, name) in enumerate(files):
                    progress(f"fichier {name}", done, len(files))
                    copy = folder / "fichiers" / name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        shutil.copy2(source, copy)
                    except FileNotFoundError:
                        continue  # deleted since it was listed
                    parts.append((copy, FILES + name))
                    copied += 1
        except DatabaseError as error:
            raise OperatorError(f"la base n'a pas pu être lue, aucune sauvegarde écrite : {error}") from None
        progress("tables", len(chosen), len(chosen))
        for done, (path, name) in enumerate(parts):
            progress(f"empreinte {name}", done, len(parts))
            digests[name] = _sha256(path)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "jalon": _jalon_version(),
            "base": connection.vendor,
            "date": datetime.datetime.now(datetime.UTC).isoformat(),
            "migrations": migrations,
            "lignes": counts,
            "sha256": digests,
        }
        partial = folder / "archive.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for done, (path, name) in enumerate(parts):
                progress(f"archive {name}", done, len(parts))
                tar.add(path, arcname=name, recursive=False)
        progress("archive", len(parts), len(parts))
        if archive.exists():
            raise OperatorError(f"{archive} existe déjà : choisissez un autre nom (rien n'est écrasé)")
        partial.rename(archive)
    return Summary(sum(counts.values()), len(counts), copied)


# -- restoring ----------------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise OperatorError(f"{archive} : pas de {MANIFEST}, ce n'est pas une sauvegarde de Jalon")
    try:
        manifest = json.loads(member.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise OperatorError(f"{archive} : {MANIFEST} illisible ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OperatorError(f"{archive} : {MANIFEST} n'est pas celui d'une sauvegarde de Jalon")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise OperatorError(
            f"{archive} : format de sauvegarde {manifest.get('format_version')!r}, cette version de Jalon "
            f"lit le format {FORMAT_VERSION}"
        )
    for key in ("migrations", "lignes", "sha256"):
        if not isinstance(manifest.get(key), list | dict):
            raise OperatorError(f"{archive} : {MANIFEST} sans « {key} »")
    return manifest


def _checked(archive: Path, folder: Path, progress: Progress) -> dict[str, Any]:
    """Unpack into ``folder`` and check every part against the manifest; nothing is written elsewhere."""
    try:
        tar = tarfile.open(archive, "r")
    except (OSError, tarfile.TarError) as error:
        raise OperatorError(f"{archive} : archive illisible ({error})") from None
    with tar:
        try:
            manifest = _read_manifest(tar, archive)
            expected: dict[str, str] = manifest["sha256"]
            names = {m.name for m in tar.getmembers() if m.isfile()} - {MANIFEST}
            if names != set(expected):
                missing = sorted(set(expected) - names)
                extra = sorted(names - set(expected))
                raise OperatorError(
                    f"{archive} : les fichiers de l'archive ne sont pas ceux du manifeste "
                    f"(manquants : {', '.join(missing) or 'aucun'} ; en trop : {', '.join(extra) or 'aucun'})"
                )
            for done, name in enumerate(sorted(names)):
                progress(f"vérification {name}", done, len(names))
                tar.extract(name, folder, filter="data")
                if _sha256(folder / name) != expected[name]:
                    raise OperatorError(
                        f"{archive} : {name} est abîmé (son sha256 n'est pas celui du manifeste)"
                    )
        except (OSError, tarfile.TarError, EOFError) as error:
            raise OperatorError(f"{archive} : archive abîmée ({error})") from None
    return manifest


def refusal_if_not_empty() -> str | None:
    """Why this instance cannot receive a restore, if it holds anything of its own."""
    users = User.objects.count()
    collectivites = Collectivite.objects.count()
    if users or collectivites:
        return (
            f"la base n'est pas vide ({collectivites} collectivité(s), {users} compte(s)) : une sauvegarde "
            "se restaure dans une instance neuve (une autre base, ou un autre --data)"
        )
    root = stored_files_root()
    if root is not None and root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        return f"le dossier des fichiers {root} n'est pas vide"
    return None


def restore(archive: Path, progress: Progress = _quiet) -> Summary:
    """Restore the archive into this instance, which must be empty; checked whole before anything is
    written, then loaded in one transaction."""
    if not archive.is_file():
        raise OperatorError(f"{archive} : ce fichier n'existe pas")
    with tempfile.TemporaryDirectory(prefix=".jalon-restauration-") as work:
        folder = Path(work)
        manifest = _checked(archive, folder, progress)
        refusal = refusal_if_not_empty()
        if refusal:
            raise OperatorError(refusal)
        applied = sorted([m.app, m.name] for m in MigrationRecorder.Migration.objects.all())
        if sorted(map(list, manifest["migrations"])) != applied:
            raise OperatorError(
                f"la sauvegarde a été faite avec Jalon {manifest.get('jalon')}, dont les migrations de la "
                "base ne sont pas celles de cette version : restaurez-la avec la même version de Jalon"
            )
        chosen = backed_up_models()
        by_label = {m._meta.label_lower: m for m in chosen}
        unknown = sorted(set(manifest["lignes"]) - set(by_label))
        if unknown:
            raise OperatorError(f"tables inconnues de cette version de Jalon : {', '.join(unknown)}")
        files = sorted(n for n in manifest["sha256"] if n.startswith(FILES))
        root = stored_files_root()
        if files and root is None:
            raise OperatorError("la sauvegarde contient des fichiers mais cette installation n'en stocke pas")
        rows = 0
        try:
            with transaction.atomic():
                # What migrating created (content types, permissions) goes: the backup's own rows, with
                # their numbers, replace it.
                # Plain DELETEs: the foreign keys are checked at the commit (Django makes them deferred),
                # when every row of the backup is in.
                with connection.cursor() as cursor:
                    for model in chosen:
                        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
                for done, model in enumerate(chosen):
                    label = model._meta.label_lower
                    progress(f"table {label}", done, len(chosen))
                    path = folder / TABLES / f"{label}.jsonl"
                    if not path.exists():
                        continue
                    with path.open(encoding="utf-8") as f:
                        for obj in serializers.deserialize("jsonl", f):
                            obj.save()
                            rows += 1
                progress("tables", len(chosen), len(chosen))
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(no_style(), chosen):
                        cursor.execute(statement)
                expected_rows = sum(int(n) for n in manifest["lignes"].values())
                if rows != expected_rows:
                    raise OperatorError(f"{rows} lignes lues, le manifeste en annonce {expected_rows}")
                # Last, inside the transaction: files that cannot be put in place undo the rows.
                for name in files:
                    assert root is not None
                    target = root / name.removeprefix(FILES)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(folder / name, target)  # the temporary folder may be on another disk
        except (DatabaseError, OSError, serializers.base.DeserializationError) as error:
            raise OperatorError(f"la restauration a échoué, rien n'a été écrit : {error}") from None
    return Summary(rows, len(manifest["lignes"]), len(files))


def full_evaluation(collectivite: Collectivite, version_id: int) -> dict[str, dict[str, Any]]:
    """The scores of every node, evaluated anew by the engine from the collectivité's stored statuts and
    answers, without the incremental scoring of the writes."""
    statuts = {
        r.action_id: statut_of(value)
        for r in StatutRecord.objects.filter(collectivite=collectivite)
        if (value := statut_value(r)) is not None
    }
    reponses = {
        r.question_id: r.valeur
        for r in Reponse.objects.filter(collectivite=collectivite)
        if r.valeur is not None
    }
    loaded = loaded_version(ReferentielVersion.objects.get(pk=version_id))
    return evaluate_state(loaded, identite(collectivite), reponses, statuts)


def differing_scores(progress: Progress = _quiet) -> list[str]:
    """The stored scores (collectivité, référentiel) that are not those of a full evaluation of their
    statuts: none after a good restore. What ``jalon check`` does for scenario files, on the database."""
    differing = []
    score_sets = list(ScoreSet.objects.select_related("collectivite").order_by("pk"))
    for done, score_set in enumerate(score_sets):
        progress(f"vérification des scores {score_set}", done, len(score_sets))
        evaluated = full_evaluation(score_set.collectivite, score_set.version_id)
        stored = score_set.scores
        if stored != {a: evaluated.get(a) for a in stored}:
            differing.append(
                f"{score_set.collectivite.nom} (n° {score_set.collectivite_id}), {score_set.referentiel}"
            )
    return differing
