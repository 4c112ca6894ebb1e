"""A référentiel file that is not UTF-8 is a ``file:line`` problem like any other, for the web import
(what ``jalon serve`` runs) and for ``jalon referentiel validate``; the previous version keeps serving."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jalon.cli import app
from jalon.loading import DEMO_DIR
from jalon.referentiel.errors import ReferentielError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import current_version, import_folder

EXPECTED = "cae/6.1.1.md:3: Le fichier n'est pas en UTF-8 : attendu du texte encodé en UTF-8."


def latin1_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    mesure = folder / "cae" / "6.1.1.md"
    # The first line is ASCII; its first accented letter (line 3) is where the Latin-1 bytes start.
    text = (
        "# Construire des partenariats\n\nPartenariats climat-air-énergie.\n"
        + mesure.read_text(encoding="utf-8").split("\n", 1)[1]
    )
    mesure.write_bytes(text.encode("latin-1", errors="replace"))
    return folder


@pytest.mark.django_db
def test_a_latin1_file_is_a_file_line_problem_and_the_previous_version_stays(tmp_path: Path) -> None:
    previous = import_folder(None).version
    with pytest.raises(ReferentielError) as error:
        import_folder(latin1_folder(tmp_path))
    assert [str(p) for p in error.value.problems] == [EXPECTED]
    assert list(ReferentielVersion.objects.all()) == [previous]
    assert current_version() == previous


def test_validate_reports_a_latin1_file_at_its_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["referentiel", "validate", str(latin1_folder(tmp_path))])
    assert result.exit_code == 1
    assert EXPECTED in result.output
