"""Question files: schema, choix, duplicates; each problem located and explained."""

from __future__ import annotations

from pathlib import Path

from tests.referentiel.folders import QUESTIONS, load, mini, only_problem, yaml_block

BINAIRE = "# La collectivité est-elle une commune touristique ?\n"


def test_questions_are_sorted_by_id_with_choix_in_written_order(tmp_path: Path) -> None:
    questions = load(mini(tmp_path)).questions
    assert list(questions) == ["tourisme", "voirie"]
    voirie = questions["voirie"]
    assert [(c.id, c.formulation, str(c.source)) for c in voirie.choix] == [
        ("voirie_oui", "Oui", "questions/questions.md:9"),
        ("voirie_non", "Non", "questions/questions.md:13"),
    ]
    assert voirie.action_ids == ("cae_1.1.1",)
    assert str(voirie.source) == "questions/questions.md:1"


def test_a_description_section_is_kept(tmp_path: Path) -> None:
    text = BINAIRE + yaml_block("id: q\ntype: binaire\nthematique_id: t") + "## Description\nPrécisions.\n"
    assert load(mini(tmp_path, {"questions/autre.md": text})).questions["q"].description == "Précisions."


def test_an_unknown_question_type_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    text = QUESTIONS.replace("type: binaire", "type: oui_non")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("questions/questions.md", 17, "tourisme")
    assert problem.message == "`type` vaut 'oui_non' : attendu 'binaire', 'proportion' ou 'choix'"


def test_a_missing_required_key_is_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("thematique_id: tourisme\n", "")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.line, problem.subject) == (17, "tourisme")
    assert (
        problem.message == "`thematique_id` manquant : attendu une ligne `thematique_id: …` dans le bloc yaml"
    )


def test_an_unknown_key_is_reported_with_the_allowed_ones(tmp_path: Path) -> None:
    text = QUESTIONS.replace("thematique_id: tourisme", "thematique_id: tourisme\ncouleur: bleu")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert problem.message == (
        "clé `couleur` inconnue : clés attendues `id`, `type`, `thematique_id`, `actions`, "
        "`types_concernes`, "
        "`ordonnancement`"
    )


def test_a_choix_question_without_choix_is_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("type: binaire", "type: choix")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.path, problem.line, problem.subject) == ("questions/questions.md", 17, "tourisme")
    assert problem.message == (
        "La question tourisme est de type 'choix' mais ne spécifie aucun choix : attendu un titre `## Choix` "
        "suivi, pour chaque choix, d'un titre `### <libellé>` et d'un bloc yaml `id: …`."
    )


def test_choix_on_a_question_of_another_type_are_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("type: choix", "type: binaire")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.line, problem.subject) == (1, "voirie")
    assert problem.message.startswith("La question voirie est de type 'binaire' mais spécifie des choix")


def test_a_duplicate_question_id_is_reported_where_it_is_repeated(tmp_path: Path) -> None:
    again = BINAIRE + yaml_block("id: tourisme\ntype: binaire\nthematique_id: tourisme")
    problem = only_problem(mini(tmp_path, {"questions/zz.md": again}))
    assert (problem.path, problem.line, problem.subject) == ("questions/zz.md", 1, "tourisme")
    assert problem.message == (
        "Les ids des questions suivants ne sont pas uniques : tourisme (déjà défini en "
        "questions/questions.md:17)."
    )


def test_a_duplicate_choix_id_is_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("id: voirie_non", "id: voirie_oui")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.line, problem.subject) == (13, "voirie")
    assert problem.message.startswith("Le choix voirie_oui de la question voirie est en double")


def test_a_question_about_an_unknown_action_is_reported(tmp_path: Path) -> None:
    text = QUESTIONS.replace("actions: [cae_1.1.1]", "actions: [cae_9.9]")
    problem = only_problem(mini(tmp_path, {"questions/questions.md": text}))
    assert (problem.line, problem.subject) == (1, "voirie")
    assert problem.message == (
        "L'action cae_9.9 de la question voirie n'existe dans aucun référentiel chargé : attendu l'id d'une "
        "action, comme cae_1.2.3."
    )
