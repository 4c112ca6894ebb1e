"""The static rule checker (spec §3.6): every message it can give."""

from __future__ import annotations

import pytest

from jalon.referentiel.errors import Problem
from jalon.referentiel.model import Choix, Personnalisation, Question, QuestionType, Regle, RegleType, Source
from jalon.regles import check_personnalisations, check_regle


def question(id_: str, type_: QuestionType, *choix: str) -> Question:
    source = Source("questions/test.md", 1)
    return Question(
        id=id_,
        type=type_,
        formulation=f"{id_} ?",
        description="",
        thematique_id="test",
        action_ids=(),
        types_concernes=(),
        ordonnancement=None,
        choix=tuple(Choix(c, c, None, source) for c in choix),
        source=source,
    )


QUESTIONS = {
    q.id: q
    for q in (
        question("AOM_1", "binaire"),
        question("AOM_2", "proportion"),
        question("voirie_1", "choix", "voirie_1_a", "voirie_1_b", "voirie_1_c"),
    )
}


def regle(type_: RegleType, formule: str) -> Regle:
    return Regle(type_, formule + "\n", "", Source("personnalisations/cae_1.md", 42))


def check(type_: RegleType, formule: str, action_id: str = "cae_1.2") -> list[str]:
    return check_regle(regle(type_, formule), action_id, QUESTIONS)


@pytest.mark.parametrize(
    ("type_", "formule"),
    [
        ("desactivation", "reponse(AOM_1, OUI) et identite(type, EPCI)"),
        ("desactivation", "si identite(type, syndicat) alors FAUX sinon VRAI"),
        ("desactivation", "reponse(voirie_1, voirie_1_c) ou identite(localisation, DOM)"),
        ("reduction", "si reponse(AOM_1, NON) alors max(reponse(AOM_2) * 10/8, 5/8)"),
        ("reduction", "si identite(population, plus_de_800000) alors 0.4/0.3"),
        ("reduction", "min(score(cae_1.2), 0.5)"),
        ("reduction", "score(cae_1.2) * 2"),
        ("score", "min(score(cae_1.2.3), score(cae_3.3.5))"),
    ],
)
def test_well_formed_rules_have_no_message(type_: RegleType, formule: str) -> None:
    assert check(type_, formule) == []


def test_every_identite_value_of_the_spec_is_allowed() -> None:
    populations = [
        "moins_de_3000", "moins_de_5000", "moins_de_10000", "moins_de_20000", "moins_de_50000",
        "moins_de_100000", "plus_de_3000", "plus_de_20000", "plus_de_100000", "plus_de_300000",
        "plus_de_800000",
    ]  # fmt: skip
    values = [("type", t) for t in ("commune", "EPCI", "syndicat", "syndicat_traitement")]
    values += [("population", p) for p in populations] + [
        ("localisation", "DOM"),
        ("localisation", "Metropole"),
    ]
    for key, value in values:
        assert check("desactivation", f"identite({key}, {value})") == []


def test_a_syntax_error_is_reported_with_the_rule() -> None:
    assert check("desactivation", "reponse(AOM_1, OUI) et") == [
        "Désactivation « reponse(AOM_1, OUI) et »: fin inattendue à la colonne 23, attendu un nombre, "
        "VRAI/FAUX, un nom, reponse(…), identite(…), score(…), min(…) ou max(…)"
    ]


def test_a_syntax_error_in_a_score_rule_is_reported() -> None:
    assert check("score", "min(score(cae_1.2),")[0].startswith(
        "Score réalisé « min(score(cae_1.2), »: fin inattendue"
    )


def test_unknown_question() -> None:
    assert check("desactivation", "reponse(inconnue, OUI)") == [
        "Désactivation « reponse(inconnue, OUI) »: Id de question inconnue: inconnue."
    ]
    assert check("reduction", "reponse(inconnue)") == [
        "Réduction de potentiel « reponse(inconnue) »: Id de question inconnue: inconnue."
    ]


def test_a_proportion_takes_one_argument() -> None:
    assert check("desactivation", "reponse(AOM_2, OUI)") == [
        "Désactivation « reponse(AOM_2, OUI) »: La question d'id AOM_2 est de type proportion, "
        "donc la fonction réponse n'attend qu'un argument."
    ]


@pytest.mark.parametrize(("question_id", "type_"), [("AOM_1", "binaire"), ("voirie_1", "choix")])
def test_binaire_and_choix_take_two_arguments(question_id: str, type_: str) -> None:
    assert check("reduction", f"reponse({question_id})") == [
        f"Réduction de potentiel « reponse({question_id}) »: "
        f"La question d'id {question_id} est de type {type_}, donc la fonction réponse attend deux arguments."
    ]


def test_unknown_choix_of_a_choix_question() -> None:
    assert check("desactivation", "reponse(voirie_1, voirie_1_d)") == [
        "Désactivation « reponse(voirie_1, voirie_1_d) »: "
        "L'id de choix voirie_1_d est inconnu pour la question voirie_1. "
        "Choix possibles : voirie_1_a, voirie_1_b, voirie_1_c"
    ]


@pytest.mark.parametrize("value", ["oui", "VRAI", "1"])
def test_a_binaire_question_is_answered_oui_or_non(value: str) -> None:
    assert check("desactivation", f"reponse(AOM_1, {value})") == [
        f"Désactivation « reponse(AOM_1, {value}) »: "
        f"L'id de choix {value} est inconnu pour la question AOM_1. Choix possibles : OUI, NON"
    ]


def test_unknown_identite_property() -> None:
    assert check("desactivation", "identite(taille, grande)") == [
        "Désactivation « identite(taille, grande) »: taille n'est pas une propriété d'identité valide "
        "(type, population ou localisation)."
    ]


def test_unknown_identite_value() -> None:
    assert check("desactivation", "identite(localisation, Corse)") == [
        "Désactivation « identite(localisation, Corse) »: Corse n'est pas une valeur valide de localisation "
        "(valeurs possibles : DOM, Metropole)."
    ]
    assert check("desactivation", "identite(type, epci)")[0].endswith(
        "epci n'est pas une valeur valide de type "
        "(valeurs possibles : commune, EPCI, syndicat, syndicat_traitement)."
    )


def test_min_max_and_arithmetic_take_numbers() -> None:
    assert check("reduction", "max(reponse(AOM_1, OUI), 0.5)") == [
        "Réduction de potentiel « max(reponse(AOM_1, OUI), 0.5) »: "
        "max ne prend que des arguments de type nombre (ou un score en premier), "
        "or « reponse(AOM_1, OUI) » est de type booléen."
    ]
    assert check("reduction", "min(0.5, score(cae_1.2))") == [
        "Réduction de potentiel « min(0.5, score(cae_1.2)) »: min ne prend que des arguments de type nombre "
        "(ou un score en premier), or « score(cae_1.2) » est de type texte."
    ]
    assert check("reduction", "1 - VRAI") == [
        "Réduction de potentiel « 1 - VRAI »: « - » ne prend que des arguments de type nombre "
        "(ou un score en premier), or « VRAI » est de type booléen."
    ]


def test_a_desactivation_must_be_boolean() -> None:
    assert check("desactivation", "si identite(type, EPCI) alors 0.5") == [
        "Désactivation « si identite(type, EPCI) alors 0.5 »: une désactivation doit donner un booléen "
        "(VRAI/FAUX), or la formule donne un nombre."
    ]
    assert check("desactivation", "score(cae_1.2)")[0].endswith("or la formule donne un texte.")


def test_a_reduction_must_be_a_number_or_a_score() -> None:
    assert check("reduction", "reponse(AOM_1, OUI)") == [
        "Réduction de potentiel « reponse(AOM_1, OUI) »: une réduction de potentiel doit donner un nombre, "
        "or la formule donne un booléen."
    ]


def test_si_ou_and_et_take_the_type_of_their_first_branch() -> None:
    # Shallow, as the reference: only the `alors` branch and the left operand decide.
    assert check("desactivation", "si vrai alors VRAI sinon 0.5") == []
    assert check("desactivation", "reponse(AOM_1, OUI) ou 0.5") == []
    assert check("desactivation", "0.5 et reponse(AOM_1, OUI)")[0].endswith("or la formule donne un nombre.")


def test_problems_inside_every_branch_are_reported() -> None:
    assert check(
        "desactivation", "si reponse(x, OUI) alors reponse(y, OUI) sinon reponse(z, OUI) ou faux"
    ) == [
        f"Désactivation « si reponse(x, OUI) alors reponse(y, OUI) sinon reponse(z, OUI) ou faux »: "
        f"Id de question inconnue: {q}."
        for q in ("x", "y", "z")
    ]


def test_a_repeated_problem_is_reported_once() -> None:
    assert len(check("desactivation", "reponse(x, OUI) et reponse(x, NON)")) == 1


def test_score_rules_are_not_type_checked() -> None:
    assert check("score", "reponse(inconnue) + VRAI") == []


def test_a_score_must_name_an_action_of_the_same_referentiel() -> None:
    assert check("score", "min(score(eci_1), score(cae_1.2))", action_id="cae_1.2") == [
        "Score réalisé « min(score(eci_1), score(cae_1.2)) »: score(eci_1) ne désigne pas une action du "
        "référentiel cae."
    ]


def test_a_formula_over_several_lines_is_shown_on_one() -> None:
    messages = check(
        "desactivation", "si identite(type, commune) alors VRAI\nsinon si reponse(x, OUI) alors VRAI"
    )
    assert messages == [
        "Désactivation « si identite(type, commune) alors VRAI sinon si reponse(x, OUI) alors VRAI »: "
        "Id de question inconnue: x."
    ]


def test_check_personnalisations_locates_problems() -> None:
    personnalisations = [
        Personnalisation(
            "cae_1.2",
            "Personnalisation",
            "",
            (
                regle("reduction", "si identite(type, EPCI) alors 0.5"),
                regle("desactivation", "reponse(x, OUI)"),
            ),
            Source("personnalisations/cae_1.md", 30),
        ),
        Personnalisation(
            "cae_1.3", "Sans problème", "", (regle("desactivation", "vrai"),), Source("p.md", 1)
        ),
    ]
    assert check_personnalisations(personnalisations, QUESTIONS) == [
        Problem(
            "personnalisations/cae_1.md",
            42,
            "Désactivation « reponse(x, OUI) »: Id de question inconnue: x.",
            "cae_1.2",
        )
    ]
