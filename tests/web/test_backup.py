"""``jalon sauvegarde`` / ``jalon restauration`` (``backup`` / ``restore``): a backup restored into an
empty instance gives back every table row for row; one taken while statuts are written restores a
consistent state; a refused restore writes nothing. On the test database (SQLite, or PostgreSQL under
``python -m tests.postgres``), and across vendors by running ``jalon`` as a process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from typer.testing import CliRunner, Result

from jalon.cli import app
from jalon.web.backup import FORMAT_VERSION, MANIFEST, backed_up_models, differing_scores
from jalon.web.collectivites.models import Collectivite
from jalon.web.labellisation import services as labellisation
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, ScoreNode, ScoreSet, StatutRecord
from tests.web.conftest import Member, make_collectivite, make_member
from tests.web.statuts.test_statuts import full_evaluation
from tests.web.test_serve import JALON

pytestmark = pytest.mark.django_db(transaction=True)

Jalon = Callable[..., Result]


@pytest.fixture
def jalon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Jalon]:
    """``jalon ARGS`` in this process, on the test database; the environment it sets is put back."""
    for name in ("JALON_DATA_DIR", "JALON_SECRET_KEY", "DATABASE_URL"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, [*args, "--data", str(tmp_path / "data")])

    yield run


def every_table() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (many-to-many tables included), ordered by primary key."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for model in backed_up_models():
        tables[model._meta.label_lower] = list(model._base_manager.order_by("pk").values())
    return tables


def emptied() -> None:
    """The database as a fresh instance has it: tables migrated, no row but what migrating creates."""
    call_command("flush", interactive=False, verbosity=0)
    services.clear_scored_states()


def some_work(version: ReferentielVersion) -> tuple[Collectivite, Member]:
    c = make_collectivite()
    editor = make_member(c, "edition", "edith")
    adele = make_member(c, "admin", "adele")
    adele.user.groups.add(Group.objects.create(name="Exploitation"))  # a many-to-many row
    services.set_statut(c, editor.user, "cae_6.1.1.1", "fait")
    services.set_statut(c, editor.user, "cae_6.1.1.2.1", "detaille", [35, 40, 25])
    services.set_reponse(c, editor.user, "demo_cep", "demo_cep_syndicat")
    services.set_explication(c, editor.user, "cae_6.1.1.1", "Délibération du 3 mars ; « guillemets » et ü.")
    labellisation.figer_jalon(c, editor.user, "cae", "Avant l'audit")
    services.set_statut(c, editor.user, "cae_6.1.1.3", "non_concerne")
    return c, editor


def test_a_backup_restored_into_an_empty_instance_gives_back_every_row(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    some_work(version)
    before = every_table()
    assert before["statuts.statutrecord"] and before["statuts.historyentry"] and before["statuts.scorenode"]
    assert before["labellisation.jalon"] and before["auth.user"] and before["collectivites.membership"]
    assert before["auth.user_groups"]
    archive = tmp_path / "instance.jalon.tar"
    saved = jalon("sauvegarde", str(archive))
    assert saved.exit_code == 0, saved.output
    assert "Sauvegarde écrite" in saved.stdout
    emptied()
    assert not StatutRecord.objects.exists()
    restored = jalon("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "Scores vérifiés : égaux à une évaluation complète" in restored.stdout
    after = every_table()
    for table, rows in before.items():
        assert after[table] == rows, table
    c = Collectivite.objects.get()
    stored = ScoreSet.objects.get(collectivite=c, referentiel="cae")
    assert stored.scores == full_evaluation(version, c)
    # New rows get new numbers (the sequences were moved past the restored ones).
    services.set_statut(c, c.memberships.first().user, "cae_6.1.1.5.2", "programme")  # type: ignore[union-attr]
    assert HistoryEntry.objects.count() == len(before["statuts.historyentry"]) + 1


def test_the_manifest_says_what_the_archive_holds(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    some_work(version)
    archive = tmp_path / "a.tar"
    assert jalon("backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        names = set(tar.getnames())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["base"] == connection.vendor
    assert manifest["lignes"]["statuts.statutrecord"] == StatutRecord.objects.count()
    assert ["statuts", "0001_initial"] in manifest["migrations"]
    assert names == {MANIFEST, *manifest["sha256"]}


def test_a_backup_never_overwrites_a_file(version: ReferentielVersion, jalon: Jalon, tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    archive.write_bytes(b"precieux")
    result = jalon("sauvegarde", str(archive))
    assert result.exit_code == 1
    assert "existe déjà" in result.stderr
    assert archive.read_bytes() == b"precieux"


def test_a_restore_into_an_instance_that_is_not_empty_is_refused(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    some_work(version)
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    before = every_table()
    result = jalon("restauration", str(archive))
    assert result.exit_code == 1
    assert "la base n'est pas vide (1 collectivité(s), 2 compte(s))" in result.stderr
    assert every_table() == before


def test_the_verification_after_a_restore_names_stored_scores_that_a_full_evaluation_contradicts(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    c, _ = some_work(version)
    node = ScoreNode.objects.get(score_set__collectivite=c, action_id="cae")
    node.data = {**node.data, "point_fait": node.data["point_fait"] + 1}
    node.save()
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    result = jalon("restauration", str(archive))
    assert result.exit_code == 0, result.output
    assert "Attention : scores enregistrés différents d'une évaluation complète" in result.stderr
    assert f"{c.nom} (n° {c.pk}), cae" in result.stderr
    assert differing_scores() == [f"{c.nom} (n° {c.pk}), cae"]


def rewritten(archive: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of the archive whose members went through ``change``."""
    copy = archive.with_name("modifiee.tar")
    with tarfile.open(archive) as source, tarfile.open(copy, "w") as target:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())  # type: ignore[union-attr]
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def with_manifest(key: str, value: Any) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest[key] = value
        return json.dumps(manifest).encode()

    return change


def a_changed_statut(name: str, data: bytes) -> bytes:
    return data.replace(b'"fait"', b'"programme"') if name.endswith("statutrecord.jsonl") else data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (a_changed_statut, "tables/statuts.statutrecord.jsonl est abîmé"),
        (with_manifest("format_version", FORMAT_VERSION + 1), f"lit le format {FORMAT_VERSION}"),
        (with_manifest("migrations", [["statuts", "9999_futur"]]), "même version de Jalon"),
    ],
)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_is_written(
    version: ReferentielVersion,
    jalon: Jalon,
    tmp_path: Path,
    change: Callable[[str, bytes], bytes],
    reason: str,
) -> None:
    some_work(version)
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    before = every_table()
    result = jalon("restauration", str(rewritten(archive, change)))
    assert result.exit_code == 1, result.output
    assert reason in result.stderr
    assert every_table() == before


def test_a_truncated_archive_is_refused(version: ReferentielVersion, jalon: Jalon, tmp_path: Path) -> None:
    some_work(version)
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    before = every_table()
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = jalon("restauration", str(archive))
    assert result.exit_code == 1, result.output
    assert "Refusé" in result.stderr
    assert every_table() == before


def test_stored_files_go_with_the_database(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "fichiers")
    stored = tmp_path / "fichiers" / "preuves" / "1" / "délibération.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(bytes(range(256)) * 10)
    some_work(version)
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    settings.MEDIA_ROOT = str(tmp_path / "ailleurs")
    result = jalon("restauration", str(archive))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ailleurs" / "preuves" / "1" / "délibération.pdf").read_bytes() == stored.read_bytes()


def test_a_document_of_the_bibliotheque_goes_with_its_row(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path, settings: Any
) -> None:
    """The bibliothèque's files live in MEDIA_ROOT (the default storage's folder): a backup takes the
    document's row and its content, and after a restore elsewhere the document opens as before."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jalon.web.preuves import files
    from jalon.web.preuves import services as preuves

    settings.MEDIA_ROOT = str(tmp_path / "fichiers")
    c, editor = some_work(version)
    content = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"
    document = preuves.add_file(c, editor.user, SimpleUploadedFile("rapport.pdf", content))
    assert (tmp_path / "fichiers" / files.path_of(document.sha256)).read_bytes() == content
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    settings.MEDIA_ROOT = str(tmp_path / "ailleurs")
    result = jalon("restauration", str(archive))
    assert result.exit_code == 0, result.output
    restored = preuves.document(editor.user, c, document.pk)
    assert (restored.sha256, restored.name) == (document.sha256, "rapport.pdf")
    assert (tmp_path / "ailleurs" / files.path_of(document.sha256)).read_bytes() == content


@pytest.mark.slow
def test_a_backup_taken_while_statuts_are_written_restores_a_consistent_state(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    c, editor = some_work(version)
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []
    actions = ["cae_6.1.1.1", "cae_6.1.1.2.1", "cae_6.1.1.5.2", "cae_6.1.2.1.1", "cae_6.1.1.3"]
    avancements = ["fait", "programme", "pas_fait", None]

    def keep_writing() -> None:
        try:
            i = 0
            while not stop.is_set():
                services.set_statut(c, editor.user, actions[i % 5], avancements[i % 4])
                written.append(i)
                i += 1
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 3 and writer.is_alive():
            threading.Event().wait(0.05)
        archive = tmp_path / "a.tar"
        started = len(written)
        saved = jalon("sauvegarde", str(archive))
        during = len(written) - started
        threading.Event().wait(0.3)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert saved.exit_code == 0, saved.output
    assert during > 0, "no statut written during the backup"  # it takes no write lock, even on SQLite
    emptied()
    result = jalon("restauration", str(archive))
    assert result.exit_code == 0, result.output
    assert "Scores vérifiés" in result.stdout
    restored = Collectivite.objects.get()
    stored = ScoreSet.objects.get(collectivite=restored, referentiel="cae")
    assert stored.scores == full_evaluation(version, restored)


def table_rows(archive: Path) -> dict[str, list[Any]]:
    """The rows of each table of an archive, as parsed JSON (key order aside)."""
    with tarfile.open(archive) as tar:
        return {
            name: [json.loads(line) for line in tar.extractfile(name).read().splitlines()]  # type: ignore[union-attr]
            for name in tar.getnames()
            if name.startswith("tables/")
        }


@pytest.mark.slow
def test_a_backup_restores_into_the_other_database_vendor(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path
) -> None:
    """SQLite → PostgreSQL, and PostgreSQL → SQLite: under the PostgreSQL suite, this database is
    PostgreSQL and the other a SQLite file; run alone, a PostgreSQL server must be given."""
    if connection.vendor == "sqlite":
        pytest.skip("run under python -m tests.postgres: the other vendor is then SQLite (both ways tested)")
    some_work(version)
    archive = tmp_path / "pg.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    sqlite = ["--database", f"sqlite:///{tmp_path / 'autre.sqlite3'}", "--data", str(tmp_path / "autre")]
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(JALON), *args, *sqlite], capture_output=True, text=True, env=environment, timeout=300
        )

    restored = run("restauration", str(archive))
    assert restored.returncode == 0, restored.stderr
    again = tmp_path / "sqlite.tar"
    saved = run("sauvegarde", str(again))
    assert saved.returncode == 0, saved.stderr
    assert table_rows(again) == table_rows(archive)
    # And back: the SQLite backup into this (emptied) PostgreSQL database.
    before = every_table()
    emptied()
    assert jalon("restauration", str(again)).exit_code == 0
    assert every_table() == before


def test_a_restore_into_a_files_folder_that_is_not_empty_is_refused(
    version: ReferentielVersion, jalon: Jalon, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "fichiers")
    archive = tmp_path / "a.tar"
    assert jalon("sauvegarde", str(archive)).exit_code == 0
    emptied()
    (tmp_path / "fichiers").mkdir()
    (tmp_path / "fichiers" / "deja.txt").write_text("là", encoding="utf-8")
    before = every_table()
    result = jalon("restauration", str(archive))
    assert result.exit_code == 1
    assert f"le dossier des fichiers {tmp_path / 'fichiers'} n'est pas vide" in result.stderr
    assert every_table() == before
