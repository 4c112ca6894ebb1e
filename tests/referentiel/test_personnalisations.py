"""Personnalisation files: rule titles, duplicates, targets; each problem located and explained."""

from __future__ import annotations

from pathlib import Path

from tests.referentiel.folders import PERSONNALISATIONS, load, mini, only_problem, yaml_block

REDUCTION = "### Réduction de potentiel\n```formule\nsi identite(type, EPCI) alors 0.5\n```\n"


def test_rules_keep_formula_description_and_the_line_of_their_block(tmp_path: Path) -> None:
    [personnalisation] = load(mini(tmp_path)).personnalisations
    assert personnalisation.action_id == "cae_1.1.1.1"
    assert personnalisation.titre == "Désactivation de la sous-mesure a pour les communes"
    [regle] = personnalisation.regles
    assert (regle.type, regle.formule) == ("desactivation", "identite(type, commune)\n")
    assert regle.description == "Les communes ne sont pas concernées."
    assert str(regle.source) == "personnalisations/regles.md:7"


def test_personnalisations_are_sorted_by_action_id(tmp_path: Path) -> None:
    first = "# Réduction de la mesure\n" + yaml_block("action_id: cae_1.1.1") + "## Règles\n" + REDUCTION
    loaded = load(mini(tmp_path, {"personnalisations/zz.md": first}))
    assert [p.action_id for p in loaded.personnalisations] == ["cae_1.1.1", "cae_1.1.1.1"]
    assert loaded.personnalisations[0].regles[0].type == "reduction"


def test_an_unknown_rule_title_is_reported_with_the_allowed_ones(tmp_path: Path) -> None:
    text = PERSONNALISATIONS.replace("### Désactivation", "### Desactivation")
    problem = only_problem(mini(tmp_path, {"personnalisations/regles.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("personnalisations/regles.md", 6, "cae_1.1.1.1")
    assert problem.message == (
        "Titre de règle « Desactivation » inconnu : attendu l'un de « Désactivation », « Réduction de "
        "potentiel », "
        "« Score réalisé »."
    )


def test_two_rules_of_the_same_type_are_reported(tmp_path: Path) -> None:
    text = PERSONNALISATIONS + "### Désactivation\n```formule\nidentite(type, EPCI)\n```\n"
    problem = only_problem(mini(tmp_path, {"personnalisations/regles.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("personnalisations/regles.md", 11, "cae_1.1.1.1")
    assert problem.message == (
        "Duplicats dans les types (désactivation, réduction, score) pour les règles des actions suivantes : "
        "cae_1.1.1.1 a deux règles « Désactivation » (la première en personnalisations/regles.md:7). Attendu "
        "au "
        "plus une règle de chaque type."
    )


def test_a_rule_without_formula_is_reported(tmp_path: Path) -> None:
    problem = only_problem(
        mini(tmp_path, {"personnalisations/regles.md": PERSONNALISATIONS + REDUCTION[:27]})
    )
    assert (problem.line, problem.subject) == (11, "cae_1.1.1.1")
    assert problem.message.startswith(
        "La règle « Réduction de potentiel » de l'action cae_1.1.1.1 n'a pas de formule"
    )


def test_two_personnalisations_of_one_action_are_reported(tmp_path: Path) -> None:
    again = "# Encore\n" + yaml_block("action_id: cae_1.1.1.1") + "## Règles\n" + REDUCTION
    problem = only_problem(mini(tmp_path, {"personnalisations/zz.md": again}))
    assert (problem.path, problem.line, problem.subject) == ("personnalisations/zz.md", 1, "cae_1.1.1.1")
    assert problem.message == (
        "Duplicats dans les règles pour les actions cae_1.1.1.1 : déjà personnalisée en "
        "personnalisations/regles.md:1. Attendu une seule personnalisation par action."
    )


def test_a_personnalisation_of_an_unknown_action_is_reported(tmp_path: Path) -> None:
    text = PERSONNALISATIONS.replace("action_id: cae_1.1.1.1", "action_id: cae_1.1.1.9")
    problem = only_problem(mini(tmp_path, {"personnalisations/regles.md": text}))
    assert (problem.line, problem.subject) == (1, "cae_1.1.1.9")
    assert problem.message == (
        "L'action cae_1.1.1.9 n'existe dans aucun référentiel chargé : attendu l'id d'une action, comme "
        "cae_1.2.3."
    )


def test_formulas_are_checked_against_the_questions(tmp_path: Path) -> None:
    text = PERSONNALISATIONS.replace("identite(type, commune)", "reponse(question_inconnue, OUI)")
    problem = only_problem(mini(tmp_path, {"personnalisations/regles.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("personnalisations/regles.md", 7, "cae_1.1.1.1")
    assert "question_inconnue" in problem.message
