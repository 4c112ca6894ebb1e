"""Importing référentiel folders as immutable versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jalon.loading import DEMO_DIR
from jalon.referentiel.errors import ReferentielError
from jalon.web.referentiels import services
from jalon.web.referentiels.models import ActionDefinition, QuestionDefinition, ReferentielVersion
from jalon.web.referentiels.services import import_folder, loaded_version

pytestmark = pytest.mark.django_db


def test_import_stores_actions_and_questions_by_id() -> None:
    result = import_folder(None)
    assert result.created
    version = result.version
    tache = ActionDefinition.objects.get(version=version, action_id="cae_6.1.1.1.1")
    assert (tache.referentiel, tache.parent_id, tache.depth) == ("cae", "cae_6.1.1.1", 5)
    assert set(QuestionDefinition.objects.filter(version=version).values_list("question_id", flat=True)) == {
        "demo_cep",
        "demo_jumelage",
    }
    # The stored files give back the same référentiel, wherever the folder went.
    assert "cae_6.1.2.2.1" in loaded_version(version).referentiels["cae"].actions


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
    assert ActionDefinition.objects.exclude(version=previous).count() == 0


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
