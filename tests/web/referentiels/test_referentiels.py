"""Importing référentiel folders as immutable versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jalon.loading import DEMO_DIR, load
from jalon.referentiel.errors import ReferentielError
from jalon.referentiel.loader import read_folder
from jalon.web.referentiels import services
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import import_folder, loaded_version

pytestmark = pytest.mark.django_db


def test_import_stores_the_files_and_a_version_loads_back_as_the_folder_did() -> None:
    result = import_folder(None)
    assert result.created
    version = ReferentielVersion.objects.get(pk=result.version.pk)  # as another process reads it
    assert version.files == read_folder(DEMO_DIR)
    services._loaded.clear()  # as in a process that did not import it: loaded from the stored files
    stored = loaded_version(version)
    demo = load()
    assert stored.referentiels == demo.referentiels
    assert stored.questions == demo.questions
    assert stored.personnalisations == demo.personnalisations
    assert stored.criteres == demo.criteres


def test_a_version_is_loaded_from_its_stored_files_once_its_folder_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    version = import_folder(folder).version
    shutil.rmtree(folder)
    services._loaded.clear()
    stored = loaded_version(version)
    assert stored.path == str(folder.resolve())  # where the files came from
    assert stored.referentiels == load().referentiels


def test_a_file_that_cannot_be_read_and_is_not_needed_is_left_out_of_the_version(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    (folder / "NOTES.md").write_bytes("# Notes prises à la réunion\n".encode("latin-1"))
    version = import_folder(folder).version
    assert "NOTES.md" not in version.files
    assert "cae/cae.md" in version.files
    # It becomes needed: a référentiel file that cannot be read, though the readable files are unchanged.
    (folder / "cae" / "6.2.md").write_bytes("# Mesure six deux\n\nDéjà là\n".encode("latin-1"))
    with pytest.raises(ReferentielError) as error:
        import_folder(folder)
    assert [str(p) for p in error.value.problems] == [
        "cae/6.2.md:3: Le fichier n'est pas en UTF-8 : attendu du texte encodé en UTF-8."
    ]
    assert list(ReferentielVersion.objects.all()) == [version]


def test_same_folder_is_not_imported_twice_and_a_change_makes_a_new_version(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    first = import_folder(folder)
    assert first.created
    assert not import_folder(folder).created
    mesure = folder / "cae" / "6.1.1.md"
    mesure.write_text(mesure.read_text(encoding="utf-8").replace("\n", "\n\n", 1), encoding="utf-8")
    second = import_folder(folder)
    assert second.created and second.version.pk != first.version.pk
    assert ReferentielVersion.objects.count() == 2


def test_broken_folder_keeps_the_previous_version_and_reports_file_lines(tmp_path: Path) -> None:
    previous = import_folder(None).version
    folder = tmp_path / "broken"
    shutil.copytree(DEMO_DIR, folder)
    (folder / "personnalisations" / "demo.md").write_text(
        "# Règle cassée\n```yaml\naction_id: cae_9.9.9\n```\n", encoding="utf-8"
    )
    with pytest.raises(ReferentielError) as error:
        import_folder(folder)
    assert error.value.problems
    assert all(":" in str(p) and p.path for p in error.value.problems)
    assert list(ReferentielVersion.objects.all()) == [previous]


def test_versions_are_immutable() -> None:
    version = import_folder(None).version
    version.source = "elsewhere"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_the_loaded_versions_kept_by_a_process_are_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    mesure = folder / "cae" / "6.1.1.md"
    versions = []
    for _ in range(services.LOADED_VERSIONS_KEPT + 2):  # each change of the folder is a new version
        mesure.write_text(mesure.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        versions.append(import_folder(folder).version)
    assert len({v.pk for v in versions}) == services.LOADED_VERSIONS_KEPT + 2
    assert len(services._loaded) <= services.LOADED_VERSIONS_KEPT
    newest = loaded_version(versions[-1])
    assert loaded_version(versions[-1]) is newest  # kept
    first = loaded_version(versions[0])  # dropped earlier: loaded again from its stored files
    assert "cae_6.1.1.1.1" in first.referentiels["cae"].actions
    assert len(services._loaded) <= services.LOADED_VERSIONS_KEPT
