"""Preuve files: ids and the actions they name; each problem located and explained."""

from __future__ import annotations

from pathlib import Path

from tests.referentiel.folders import PREUVES, load, mini, only_problem, yaml_block


def test_preuves_keep_file_order_and_their_actions(tmp_path: Path) -> None:
    other = (
        "# Rapport annuel\n"
        + yaml_block("id: a_rapport\nactions: [cae_1.1.1]")
        + "## Description\nLe dernier.\n"
    )
    preuves = load(mini(tmp_path, {"preuves/zz.md": other})).preuves
    assert [p.id for p in preuves] == ["deliberation", "a_rapport"]
    assert preuves[0].action_ids == ("cae_1.1.1.1", "cae_1.1.1.2")
    assert (preuves[1].nom, preuves[1].description) == ("Rapport annuel", "Le dernier.")


def test_a_preuve_id_longer_than_50_characters_is_reported(tmp_path: Path) -> None:
    long_id = "deliberation_" + "x" * 38
    problem = only_problem(
        mini(tmp_path, {"preuves/preuves.md": PREUVES.replace("id: deliberation", f"id: {long_id}")})
    )
    assert (problem.path, problem.line, problem.subject) == ("preuves/preuves.md", 1, long_id)
    assert problem.message == (
        f"Les ids des preuves suivantes sont trop longs : {long_id} (51 caractères) : attendu 50 caractères "
        "au plus."
    )


def test_a_preuve_of_an_unknown_action_is_reported(tmp_path: Path) -> None:
    text = PREUVES.replace("cae_1.1.1.2", "eci_1.1")
    problem = only_problem(mini(tmp_path, {"preuves/preuves.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("preuves/preuves.md", 1, "deliberation")
    assert problem.message == (
        "L'action eci_1.1 de la preuve deliberation n'existe dans aucun référentiel chargé : attendu l'id "
        "d'une "
        "action, comme cae_1.2.3."
    )


def test_a_duplicate_preuve_id_is_reported(tmp_path: Path) -> None:
    problem = only_problem(mini(tmp_path, {"preuves/zz.md": PREUVES}))
    assert (problem.path, problem.line, problem.subject) == ("preuves/zz.md", 1, "deliberation")
    assert problem.message == (
        "Les ids des preuves suivantes ne sont pas uniques : deliberation (déjà défini en "
        "preuves/preuves.md:1)."
    )


def test_a_preuve_without_actions_is_reported(tmp_path: Path) -> None:
    text = "# Délibération\n" + yaml_block("id: deliberation")
    problem = only_problem(mini(tmp_path, {"preuves/preuves.md": text}))
    assert problem.message == "`actions` manquant : attendu une ligne `actions: …` dans le bloc yaml"
