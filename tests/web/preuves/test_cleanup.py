"""The clean-up of the bibliothèque's stored contents: what no document references goes, nothing else."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from jalon.cli import app
from jalon.web.collectivites.models import Collectivite
from jalon.web.preuves import files, services
from tests.web.conftest import Member

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"


def orphan(folder: Path, content: bytes, age_hours: float = 2) -> str:
    """A content left in storage with no document, written ``age_hours`` ago."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = folder / "preuves" / sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_hours * 3600
    os.utime(path, (then, then))
    return sha256


def test_nothing_stored_yet_removes_nothing(db: None) -> None:
    assert files.remove_unreferenced() == []


def test_only_the_contents_no_document_references_are_removed(
    collectivite: Collectivite, editor: Member, _files_in_tmp: Path
) -> None:
    kept = services.add_file(collectivite, editor.user, SimpleUploadedFile("a.pdf", PDF))
    old = _files_in_tmp / "preuves" / kept.sha256
    os.utime(old, (time.time() - 7200, time.time() - 7200))  # old, but referenced
    gone = orphan(_files_in_tmp, b"orphelin\n")
    recent = orphan(_files_in_tmp, b"en cours de depot\n", age_hours=0)
    other = _files_in_tmp / "preuves" / "autre-chose.txt"
    other.write_bytes(b"pas un contenu de la bibliotheque")
    os.utime(other, (time.time() - 7200, time.time() - 7200))
    assert files.remove_unreferenced() == [f"preuves/{gone}"]
    assert not (_files_in_tmp / "preuves" / gone).exists()
    assert old.read_bytes() == PDF
    assert (_files_in_tmp / "preuves" / recent).exists()  # its document may be about to be written
    assert other.exists()  # not a name the bibliothèque gives
    assert files.remove_unreferenced(older_than=timedelta(0)) == [f"preuves/{recent}"]
    assert files.remove_unreferenced() == []


def test_a_content_held_by_two_documents_stays_while_one_references_it(
    collectivite: Collectivite, editor: Member, _files_in_tmp: Path
) -> None:
    first = services.add_file(collectivite, editor.user, SimpleUploadedFile("a.pdf", PDF))
    second = services.add_file(collectivite, editor.user, SimpleUploadedFile("b.pdf", PDF))
    first.delete()  # a row removed without the service's clean-up
    assert files.remove_unreferenced(older_than=timedelta(0)) == []
    second.delete()
    assert files.remove_unreferenced(older_than=timedelta(0)) == [f"preuves/{second.sha256}"]
    assert not (_files_in_tmp / "preuves" / second.sha256).exists()


def test_jalon_preuves_nettoyer_removes_the_orphans_and_says_which(
    db: None, tmp_path: Path, _files_in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JALON_DATA_DIR", "JALON_SECRET_KEY", "DATABASE_URL"):  # set by the command: put back
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    data = ["--data", str(tmp_path / "data")]
    none = runner.invoke(app, ["preuves", "nettoyer", *data])
    assert none.exit_code == 0, none.output
    assert "Aucun fichier orphelin : rien à supprimer." in none.stdout
    gone = orphan(_files_in_tmp, b"orphelin\n")
    result = runner.invoke(app, ["preuves", "nettoyer", *data])
    assert result.exit_code == 0, result.output
    assert "1 fichier(s) supprimé(s)" in result.stdout and f"preuves/{gone}" in result.stdout
    assert not (_files_in_tmp / "preuves" / gone).exists()
    assert runner.invoke(app, ["preuves", "nettoyer", "--inconnue"]).exit_code == 2
