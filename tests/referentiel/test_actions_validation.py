"""Every problem in action files is reported with its file, line, action and what was expected."""

from __future__ import annotations

from pathlib import Path

from jalon.referentiel.errors import Problem
from tests.referentiel.folders import MESURE, ROOT, load, mini, only_problem, problems_of, yaml_block


def located(problem: Problem) -> tuple[str, int | None, str | None]:
    return problem.path, problem.line, problem.subject


def test_the_tiny_folder_loads_with_its_points(tmp_path: Path) -> None:
    cae = load(mini(tmp_path)).referentiels["cae"]
    assert {key: action.points for key, action in cae.actions.items()} == {
        "cae": 10.0,
        "cae_1": 10.0,
        "cae_1.1": 10.0,
        "cae_1.1.1": 10.0,
        "cae_1.1.1.1": 4.0,
        "cae_1.1.1.2": 6.0,
        "cae_1.1.1.1.1": 2.0,
        "cae_1.1.1.1.2": 2.0,
    }
    assert cae.actions["cae_1.1.1"].sections == {"description": "Texte de la mesure."}
    assert str(cae.actions["cae_1.1.1.2"].source) == "cae/1.1.1.md:24"
    assert cae.action_level == 3


def test_an_unquoted_1_10_identifiant_stays_1_10_and_sorts_after_1_2(tmp_path: Path) -> None:
    root = ROOT + "### Sous-axe deux\n" + yaml_block("identifiant: 1.2") + "### Sous-axe dix\n"
    root += yaml_block("identifiant: 1.10")
    files = {
        "cae/cae.md": root,
        "cae/1.2.1.md": "# Mesure deux\n" + yaml_block("identifiant: 1.2.1\npoints: 2"),
        "cae/1.10.1.md": "# Mesure dix\n" + yaml_block("identifiant: 1.10.1\npoints: 5"),
    }
    referentiels = load(mini(tmp_path, files))
    assert referentiels.action("cae_1").children == ("cae_1.1", "cae_1.2", "cae_1.10")
    assert referentiels.action("cae_1.10").points == 5.0
    assert referentiels.action("cae_1.10.1").parent == "cae_1.10"


def test_a_broken_yaml_block_is_reported_at_its_line_alone(tmp_path: Path) -> None:
    broken = MESURE.replace("pourcentage: 60\n", "pourcentage: [60\n")
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": broken}))
    assert located(problem) == ("cae/1.1.1.md", 28, None)
    assert problem.message.startswith(
        "Erreur dans le formatage du code yaml sous « Sous-mesure b ». Raison : "
    )


def test_pourcentages_summing_to_99_are_reported_on_the_parent(tmp_path: Path) -> None:
    problem = only_problem(
        mini(tmp_path, {"cae/1.1.1.md": MESURE.replace("pourcentage: 60", "pourcentage: 59")})
    )
    assert located(problem) == ("cae/1.1.1.md", 1, "cae_1.1.1")
    assert problem.message == (
        "Les valeurs des actions cae_1.1.1.1, cae_1.1.1.2 sont renseignées en pourcentage, mais leur somme "
        "fait "
        "99.0 au lieu de 100."
    )


def test_children_points_not_adding_up_are_reported(tmp_path: Path) -> None:
    mesure = MESURE.replace("identifiant: 1.1.1.1.1", "identifiant: 1.1.1.1.1\npoints: 3").replace(
        "identifiant: 1.1.1.1.2", "identifiant: 1.1.1.1.2\npoints: 3"
    )
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": mesure}))
    assert located(problem) == ("cae/1.1.1.md", 9, "cae_1.1.1.1")
    assert problem.message == (
        "Les valeurs des actions de l'action cae_1.1.1.1 sont renseignées en points, mais leur somme fait "
        "6.0 "
        "au lieu de 4.0."
    )


def test_a_duplicate_id_is_reported_where_it_is_repeated(tmp_path: Path) -> None:
    other = "# Une autre mesure\n" + yaml_block("identifiant: 1.1.1\npoints: 3")
    problem = only_problem(mini(tmp_path, {"cae/1.1.9.md": other}))
    assert located(problem) == ("cae/1.1.9.md", 1, "cae_1.1.1")
    assert problem.message == (
        "Tous les identifiants devraient être uniques. Doublon : cae_1.1.1, déjà défini en cae/1.1.1.md:1."
    )


def test_an_action_without_any_ancestor_is_an_orphan(tmp_path: Path) -> None:
    orphan = "# Mesure perdue\n" + yaml_block("identifiant: 2.1.1\npoints: 3")
    problem = only_problem(mini(tmp_path, {"cae/2.1.1.md": orphan}))
    assert located(problem) == ("cae/2.1.1.md", 1, "cae_2.1.1")
    assert problem.message == (
        "L'action cae_2.1.1 est orpheline : aucune de ses actions parentes (cae_2.1, cae_2) n'existe dans le "
        "dossier cae. Attendu une action cae_2.1."
    )


def test_a_missing_intermediate_level_is_named(tmp_path: Path) -> None:
    lost = "# Mesure sans sous-axe\n" + yaml_block("identifiant: 1.2.1\npoints: 3")
    problem = only_problem(mini(tmp_path, {"cae/1.2.1.md": lost}))
    assert located(problem) == ("cae/1.2.1.md", 1, "cae_1.2.1")
    assert problem.message == (
        "Il manque un niveau entre l'action cae_1 et son enfant cae_1.2.1 : attendu une action cae_1.2."
    )


def test_ancestors_are_found_by_id_components_not_by_text_prefix(tmp_path: Path) -> None:
    # "1.1" is a text prefix of "1.10.1" but not one of its ancestors: the missing level is 1.10, under 1.
    lost = "# Mesure du sous-axe dix\n" + yaml_block("identifiant: 1.10.1\npoints: 3")
    problem = only_problem(mini(tmp_path, {"cae/1.10.1.md": lost}))
    assert problem.message == (
        "Il manque un niveau entre l'action cae_1 et son enfant cae_1.10.1 : attendu une action cae_1.10."
    )


def test_a_child_nested_under_the_wrong_parent_is_reported(tmp_path: Path) -> None:
    mesure = MESURE.replace("identifiant: 1.1.1.1.2", "identifiant: 1.1.1.2.2")
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": mesure}))
    assert located(problem) == ("cae/1.1.1.md", 20, "cae_1.1.1.2.2")
    assert problem.message == (
        "L'action cae_1.1.1.2.2 est rangée sous l'action cae_1.1.1.1 (ligne 9), mais son identifiant n'est "
        "pas "
        "celui d'un enfant de cae_1.1.1.1 : attendu un identifiant 1.1.1.1.<n>."
    )


def test_a_folder_without_root_is_reported(tmp_path: Path) -> None:
    without_root = ROOT[ROOT.index("# Axe un") :]
    problem = only_problem(mini(tmp_path, {"cae/cae.md": without_root}))
    assert located(problem) == ("cae", None, "cae")
    assert problem.message.startswith(
        "Le dossier de markdowns doit contenir une unique action racine (dont l'identifiant est ''). 0 "
        "trouvé(s) "
        'dans le dossier cae. Attendu : une action avec `identifiant: ""`'
    )


def test_two_roots_are_reported_with_both_places(tmp_path: Path) -> None:
    other_root = "# Autre racine\n" + yaml_block('identifiant: ""\nreferentiel: cae')
    problem = only_problem(mini(tmp_path, {"cae/autre.md": other_root}))
    assert located(problem) == ("cae/cae.md", 1, "cae")
    assert problem.message.startswith(
        "Le dossier de markdowns doit contenir une unique action racine (dont l'identifiant est ''). 2 "
        "trouvé(s) "
        ": cae/autre.md:1, cae/cae.md:1."
    )


def test_a_root_without_referentiel_is_reported(tmp_path: Path) -> None:
    problem = only_problem(mini(tmp_path, {"cae/cae.md": ROOT.replace("referentiel: cae\n", "")}))
    assert located(problem) == ("cae/cae.md", 1, "cae")  # ids go on with the folder's name
    assert problem.message == (
        "L'action racine (dont l'identifiant est '') doit avoir un `referentiel` renseigné : attendu une "
        "ligne "
        "`referentiel: …` dans son bloc yaml, avec l'un de cae, eci, te, te-test."
    )


def test_an_unknown_referentiel_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    problem = only_problem(
        mini(tmp_path, {"cae/cae.md": ROOT.replace("referentiel: cae", "referentiel: air")})
    )
    assert located(problem) == ("cae/cae.md", 1, "cae")
    assert problem.message == "`referentiel` vaut 'air' : attendu 'cae', 'eci', 'te' ou 'te-test'"


def test_an_unknown_categorie_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    mesure = MESURE.replace("categorie: bases", "categorie: base")
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": mesure}))
    assert located(problem) == ("cae/1.1.1.md", 9, "cae_1.1.1.1")
    assert problem.message == "`categorie` vaut 'base' : attendu 'bases', 'mise en œuvre' ou 'effets'"


def test_non_numeric_points_are_reported(tmp_path: Path) -> None:
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": MESURE.replace("points: 10", "points: dix")}))
    assert located(problem) == ("cae/1.1.1.md", 1, "cae_1.1.1")
    assert problem.message == "`points` vaut 'dix' : attendu un nombre"


def test_an_action_without_identifiant_is_reported_by_its_name(tmp_path: Path) -> None:
    mesure = MESURE + "#### Actions\n##### Tâche b1 sans bloc yaml\nUn texte.\n"
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": mesure}))
    assert located(problem) == ("cae/1.1.1.md", 31, None)
    assert problem.message == (
        "L'action « Tâche b1 sans bloc yaml » n'a pas d'`identifiant` : attendu sous son titre un bloc yaml "
        "avec "
        "une ligne `identifiant: 1.2.3`."
    )


def test_an_identifiant_that_is_not_dotted_numbers_is_reported(tmp_path: Path) -> None:
    problem = only_problem(
        mini(tmp_path, {"cae/1.1.1.md": MESURE.replace("identifiant: 1.1.1.2", "identifiant: b")})
    )
    assert located(problem) == ("cae/1.1.1.md", 24, None)
    assert problem.message == (
        "L'action « Sous-mesure b » a un `identifiant` invalide ('b') : attendu des numéros séparés par des "
        'points, comme 1.2.3 ("" pour la racine).'
    )


def test_several_problems_of_a_folder_are_reported_together(tmp_path: Path) -> None:
    mesure = MESURE.replace("categorie: bases", "categorie: base")
    mesure = mesure.replace("pourcentage: 60", "pourcentage: 59")
    orphan = "# Mesure perdue\n" + yaml_block("identifiant: 2.1.1\npoints: 3")
    found = problems_of(mini(tmp_path, {"cae/1.1.1.md": mesure, "cae/2.1.1.md": orphan}))
    assert [located(p) for p in found] == [
        ("cae/1.1.1.md", 1, "cae_1.1.1"),  # pourcentages summing to 99
        ("cae/1.1.1.md", 9, "cae_1.1.1.1"),  # categorie
        ("cae/2.1.1.md", 1, "cae_2.1.1"),  # orphan
    ]


def test_points_problems_caused_by_an_unreadable_action_are_not_reported(tmp_path: Path) -> None:
    # Without sous-mesure b, the pourcentages of cae_1.1.1 sum to 40: a consequence, not a second problem.
    mesure = MESURE.replace("identifiant: 1.1.1.2\n", "")
    problem = only_problem(mini(tmp_path, {"cae/1.1.1.md": mesure, "preuves/preuves.md": None}))
    assert located(problem) == ("cae/1.1.1.md", 24, None)
    assert problem.message.startswith("L'action « Sous-mesure b » n'a pas d'`identifiant`")
