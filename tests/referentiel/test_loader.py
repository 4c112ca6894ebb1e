"""What load_referentiels accepts as a folder, and how it reports everything wrong at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from jalon.referentiel.errors import ReferentielError
from jalon.referentiel.loader import load_referentiels
from tests.referentiel.folders import (
    MESURE,
    PERSONNALISATIONS,
    PREUVES,
    QUESTIONS,
    ROOT,
    load,
    mini,
    only_problem,
    problems_of,
    write_folder,
    yaml_block,
)


def test_a_missing_folder_is_a_problem_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ReferentielError) as caught:
        load_referentiels(str(missing))
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (str(missing), None)
    assert problem.message.startswith(f"{missing} n'existe pas : attendu un dossier de référentiels")
    assert str(caught.value) == f"{missing}: {problem.message}"


def test_a_folder_without_any_referentiel_is_a_problem(tmp_path: Path) -> None:
    question = "# Commune touristique ?\n" + yaml_block(
        "id: tourisme\ntype: binaire\nthematique_id: t\nactions: [cae_1]"
    )
    problem = only_problem(write_folder(tmp_path, {"questions/questions.md": question}))
    assert (problem.path, problem.line) == (str(tmp_path), None)
    assert problem.message.startswith(f"Aucun référentiel trouvé dans {tmp_path}")


def test_a_referentiel_folder_can_be_loaded_alone(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cae", {"cae.md": ROOT, "1.1.1.md": MESURE})
    loaded = load(folder)
    assert list(loaded.referentiels) == ["cae"]
    assert str(loaded.action("cae_1.1.1.1").source) == "1.1.1.md:9"
    assert loaded.questions == {}
    assert loaded.path == str(folder)


def test_a_single_markdown_file_holding_a_whole_referentiel_can_be_loaded(tmp_path: Path) -> None:
    file = tmp_path / "mini.md"
    file.write_text(
        ROOT + MESURE.replace("# Mesure un", "#### Actions\n##### Mesure un", 1), encoding="utf-8"
    )
    with pytest.raises(ReferentielError):  # the mesure is nested in the sous-axe, one heading level down…
        load_referentiels(file)
    flat = ROOT + MESURE  # …or written as its own top-level node
    file.write_text(flat, encoding="utf-8")
    loaded = load_referentiels(file)
    assert loaded.action("cae_1.1.1").points == 10.0
    assert loaded.action("cae_1.1.1").source.path == "mini.md"


def test_other_markdown_beside_the_referentiels_is_ignored(tmp_path: Path) -> None:
    lone_mesure = "# Mesure seule\n" + yaml_block("identifiant: 6.1.1\npoints: 6")
    folder = mini(
        tmp_path, {"README.md": "# Lisez-moi\n", "seed.md": lone_mesure, "docs/notes.md": "# Notes\n"}
    )
    assert list(load(folder).referentiels) == ["cae"]


def test_two_folders_declaring_the_same_referentiel_are_reported(tmp_path: Path) -> None:
    problem = only_problem(mini(tmp_path, {"cae2/cae.md": ROOT, "cae2/1.1.1.md": MESURE}))
    assert (problem.path, problem.line, problem.subject) == ("cae2/cae.md", 1, "cae")
    assert (
        problem.message
        == "Le référentiel cae est déjà défini en cae/cae.md:1 : attendu un seul dossier par référentiel."
    )


def test_a_file_that_is_not_utf8_is_reported_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    folder = mini(tmp_path)
    (folder / "preuves" / "latin1.md").write_bytes("# Preuve\n\nDélibération\n".encode("latin-1"))
    problem = only_problem(folder)
    assert (problem.path, problem.line) == ("preuves/latin1.md", 3)
    assert problem.message == "Le fichier n'est pas en UTF-8 : attendu du texte encodé en UTF-8."


def test_broken_yaml_in_a_question_file_is_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("thematique_id: tourisme", "thematique_id: [tourisme")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.path, problem.line) == ("questions/questions.md", 21)  # the unclosed bracket
    assert "Erreur dans le formatage du code yaml" in problem.message


def test_a_preuve_yaml_block_that_is_not_a_mapping_is_reported(tmp_path: Path) -> None:
    problem = only_problem(
        mini(tmp_path, {"preuves/preuves.md": "# Délibération\n```yaml\n- deliberation\n```\n"})
    )
    assert (problem.path, problem.line) == ("preuves/preuves.md", 3)
    assert "le contenu est un list" in problem.message


def test_thematiques_are_read_when_present(tmp_path: Path) -> None:
    text = "## Thématiques\n" + yaml_block("thematiques:\n  energie: Énergie\n  dechets: Déchets")
    loaded = load(mini(tmp_path, {"thematiques/thematiques.md": text}))
    assert loaded.thematiques == {"energie": "Énergie", "dechets": "Déchets"}


def test_thematiques_that_are_not_a_mapping_are_reported(tmp_path: Path) -> None:
    text = "## Thématiques\n" + yaml_block("thematiques: [energie, dechets]")
    problem = only_problem(mini(tmp_path, {"thematiques/thematiques.md": text}))
    assert (problem.path, problem.line) == ("thematiques/thematiques.md", 2)
    assert problem.message.startswith("`thematiques` n'est pas un dictionnaire de textes")


def test_every_problem_of_every_kind_is_reported_together_in_file_order(tmp_path: Path) -> None:
    folder = mini(
        tmp_path,
        {
            "cae/1.1.1.md": MESURE.replace("categorie: bases", "categorie: base"),
            "questions/questions.md": QUESTIONS.replace("type: binaire", "type: oui_non"),
            "personnalisations/regles.md": PERSONNALISATIONS.replace(
                "### Désactivation", "### Desactivation"
            ),
            "preuves/preuves.md": PREUVES.replace("cae_1.1.1.2", "cae_7"),
            "thematiques/thematiques.md": "# Rien ici\n",
        },
    )
    found = problems_of(folder)
    assert [(p.path, p.line) for p in found] == [
        ("cae/1.1.1.md", 9),
        ("personnalisations/regles.md", 6),
        ("preuves/preuves.md", 1),
        ("questions/questions.md", 17),
        ("thematiques/thematiques.md", None),
    ]
    with pytest.raises(ReferentielError) as caught:
        load_referentiels(folder)
    assert str(caught.value).splitlines()[0] == (
        "cae/1.1.1.md:9: cae_1.1.1.1: `categorie` vaut 'base' : attendu 'bases', 'mise en œuvre' ou 'effets'"
    )


def test_an_unreadable_action_does_not_make_every_reference_to_it_a_problem(tmp_path: Path) -> None:
    mesure = MESURE.replace("identifiant: 1.1.1.2\n", "identifiant: [1.1.1.2\n")  # named by the preuve
    found = problems_of(mini(tmp_path, {"cae/1.1.1.md": mesure}))
    assert [(p.path, p.line) for p in found] == [("cae/1.1.1.md", 27)]
