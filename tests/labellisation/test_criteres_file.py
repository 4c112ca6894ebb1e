"""The label's criteria file as part of a référentiel folder: read, and every problem reported at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jalon
from jalon.cli import app
from jalon.loading import DEMO_DIR
from jalon.referentiel.errors import ReferentielError
from tests.conftest import REFERENTIELS, SHARED

CRITERES = SHARED / "labellisation" / "criteres.yml"
runner = CliRunner()

BROKEN = """\
etoiles:
  1: 0.0
  2: 0.5
  3: 0.4
  7: 1.2
marge_recommandee: 0.03
demande:
  completude: 1.0
  pilotes:
    cae: [cae_5.1.2.1.1, cae_9.9]
  inconnu: 3
criteres:
  cae:
    - {etoile: 1, action: cae_5.1.2.1.1, libelle: "x", min_fait: 1.5}
    - {etoile: 1, action: cae_5.1.2.1.1, libelle: "x", min_fait: 1.0}
    - {etoile: 6, action: cae_nope, libelle: "x", min_fait: 1.0, couleur: bleu}
    - {etoile: 2, action: cae_1.1.1.1.1, libelle: "x", min_fait: "un"}
  te:
    - {etoile: 1, action: te_1, libelle: "x", min_fait: 1.0}
"""


def problems_of(path: Path | None, criteres: Path | None) -> list[str]:
    with pytest.raises(ReferentielError) as raised:
        jalon.load(path, criteres)
    return [str(problem) for problem in raised.value.problems]


def test_the_official_criteria_given_explicitly_are_read_with_the_official_folder() -> None:
    loaded = jalon.load(REFERENTIELS, CRITERES)
    assert loaded.criteres is not None
    assert loaded.criteres.etoiles == (0.0, 0.35, 0.50, 0.65, 0.75)
    assert loaded.criteres.marge_recommandee == 0.03
    assert loaded.criteres.demande.pilotes["cae"] == ("cae_5.1.2.1.1", "cae_5.1.1.1.3")
    assert [len(loaded.criteres.criteres[ref]) for ref in ("cae", "eci")] == [9, 17]
    first = loaded.criteres.criteres["cae"][0]
    assert (first.etoile, first.action_id, first.min_fait, first.min_fait_programme) == (
        1,
        "cae_5.1.2.1.1",
        1.0,
        None,
    )


def test_a_folder_without_a_criteria_file_loads_without_criteria() -> None:
    assert jalon.load(REFERENTIELS).criteres is None


def test_the_demo_reads_its_own_criteria_from_its_folder() -> None:
    criteres = jalon.load().criteres
    assert criteres is not None
    assert criteres.path == "labellisation/criteres.yml"
    assert {c.action_id for c in criteres.criteres["cae"]} >= {"cae_6.1.1", "cae_6.1.2.1.1"}


def test_every_problem_of_a_criteria_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "criteres.yml"
    file.write_text(BROKEN, encoding="utf-8")
    found = problems_of(REFERENTIELS, file)
    where = str(file)
    expected = [
        f"{where}:1: etoiles: attendu les étoiles 1 à 4 sans trou",
        f"{where}:4: etoiles.3: le seuil de l'étoile 3 (0.4) doit dépasser celui de l'étoile 2 (0.5)",
        f"{where}:5: etoiles.7: étoile 7 : attendu une étoile de 1 à 5.",
        f"{where}:5: etoiles.7: attendu une part entre 0 et 1",
        f"{where}:10: cae_9.9: action inconnue du référentiel cae.",
        f"{where}:11: demande.inconnu: clé inconnue `inconnu`",
        f"{where}:14: cae_5.1.2.1.1: attendu une part entre 0 et 1 (0.35 pour 35 %), trouvé 1.5.",
        f"{where}:15: cae_5.1.2.1.1: deuxième critère de l'étoile 1 pour cette action (le premier ligne 14)",
        f"{where}:16: cae_nope: clé inconnue `couleur`",
        f"{where}:16: cae_nope: étoile 6 : attendu l'une des étoiles",
        f"{where}:16: cae_nope: action inconnue du référentiel cae.",
        f"{where}:17: cae_1.1.1.1.1: attendu un nombre, trouvé 'un'.",
        f"{where}:18: te: référentiel non chargé : attendu l'un de cae, eci.",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in found), (start, found)
    assert len(found) == len(expected)


def test_a_broken_criteria_file_in_a_folder_is_reported_at_its_path_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, folder)
    file = folder / "labellisation" / "criteres.yml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("action: cae_6.1.1, ", "action: cae_6.1.9, ", 1), encoding="utf-8")
    line = text[: text.index("action: cae_6.1.1, ")].count("\n") + 1
    assert problems_of(folder, None) == [
        f"labellisation/criteres.yml:{line}: cae_6.1.9: action inconnue du référentiel cae."
    ]


def test_a_criteria_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "criteres.yml"
    file.write_text("etoiles:\n  1: 0.0\ncriteres: [\n  cae: {\n", encoding="utf-8")
    [problem] = problems_of(None, file)
    assert problem.startswith(f"{file}:") and "Erreur dans le formatage du yaml" in problem


def test_a_criteria_file_without_its_required_sections_says_which(tmp_path: Path) -> None:
    file = tmp_path / "criteres.yml"
    file.write_text("marge_recommandee: 0.03\n", encoding="utf-8")
    found = problems_of(None, file)
    assert any("`etoiles` manque" in line for line in found)
    assert any("`criteres` manque" in line for line in found)


def test_referentiel_validate_checks_the_criteria_file_too(tmp_path: Path) -> None:
    file = tmp_path / "criteres.yml"
    file.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["referentiel", "validate", str(REFERENTIELS), "--criteres", str(file)])
    assert result.exit_code == 1
    assert f"{file}:16: cae_nope: action inconnue du référentiel cae." in result.stdout
    result = runner.invoke(app, ["referentiel", "validate", str(REFERENTIELS), "--criteres", str(CRITERES)])
    assert result.exit_code == 0, result.output
    assert "26 critères" in result.stdout
