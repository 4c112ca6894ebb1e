"""From rules to consequences (spec §3.5) and the phase-6 score formula (spec §2.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jalon.referentiel.model import Personnalisation, Regle, RegleType, Source
from jalon.regles import Consequence, FormuleError, Reponse, apply_score_formule, evaluate_consequences
from jalon.regles.evaluate import evaluate_formule
from jalon.regles.parser import _parse, parse_formule


def personnalisation(
    action_id: str, desactivation: str | None = None, reduction: str | None = None, score: str | None = None
) -> Personnalisation:
    """A personnalisation with the given rules, written as in a file (trailing newline)."""
    formules: dict[RegleType, str | None] = {
        "desactivation": desactivation,
        "reduction": reduction,
        "score": score,
    }
    regles = tuple(
        Regle(type_, formule + "\n", "", Source("personnalisations/test.md", line))
        for line, (type_, formule) in enumerate(formules.items(), start=10)
        if formule is not None
    )
    return Personnalisation(action_id, f"Personnalisation {action_id}", "", regles, Source("test.md", 1))


def consequence(
    desactivation: str | None = None, reduction: str | None = None, score: str | None = None
) -> Consequence:
    """The consequence of rules of cae_1 for an EPCI without waste collection, AOM share 0.4."""
    reponses: dict[str, Reponse] = {"dechets_1": "NON", "AOM_2": 0.4}
    identite = {"type": {"EPCI"}}
    rules = [personnalisation("cae_1", desactivation, reduction, score)]
    return evaluate_consequences(rules, reponses, identite)["cae_1"]


def test_every_personnalisation_appears_in_rule_order_even_without_effect() -> None:
    personnalisations = [
        personnalisation("cae_2", desactivation="identite(type, commune)"),
        personnalisation("cae_1", reduction="si faux alors 0.5"),
        personnalisation("eci_1"),
    ]
    consequences = evaluate_consequences(personnalisations, {}, {})
    assert list(consequences) == ["cae_2", "cae_1", "eci_1"]
    assert consequences["cae_2"] == Consequence(desactive=False, potentiel_perso=None, score_formule=None)
    assert consequences["cae_1"] == Consequence(desactive=None, potentiel_perso=None, score_formule=None)
    assert consequences["eci_1"] == Consequence(desactive=None, potentiel_perso=None, score_formule=None)


def test_desactivation_is_true_false_or_none() -> None:
    assert consequence(desactivation="reponse(dechets_1, NON)").desactive is True
    assert consequence(desactivation="reponse(dechets_1, OUI)").desactive is False
    assert consequence(desactivation="si reponse(dechets_1, OUI) alors VRAI").desactive is None


def test_a_truthy_desactivation_value_desactivates() -> None:
    assert consequence(desactivation="reponse(AOM_2)").desactive is True
    assert consequence(desactivation="0").desactive is False


def test_a_missing_answer_gives_no_desactivation_and_no_reduction() -> None:
    result = consequence(desactivation="reponse(jamais) et vrai", reduction="max(reponse(jamais), 0.5)")
    assert result == Consequence(desactive=None, potentiel_perso=None, score_formule=None)


def test_reduction_is_a_float_factor() -> None:
    assert consequence(reduction="si identite(type, EPCI) alors 8/12").potentiel_perso == 8 / 12
    assert consequence(reduction="max(reponse(AOM_2), 2/10) + 1/10").potentiel_perso == 0.4 + 0.1
    assert consequence(reduction="si identite(type, commune) alors 0.5").potentiel_perso is None


def test_a_boolean_reduction_becomes_a_float() -> None:
    result = consequence(reduction="max(0.3, VRAI)").potentiel_perso
    assert result == 1.0 and isinstance(result, float)


def test_a_textual_reduction_is_an_error_naming_the_action() -> None:
    with pytest.raises(FormuleError) as raised:
        consequence(reduction="min(score(cae_1), 0.5)")
    assert str(raised.value) == (
        "cae_1: règle de réduction de potentiel « min(score(cae_1), 0.5) »: "
        "donne « min(score(cae_1), 0.5) » au lieu d'un nombre"
    )


def test_the_score_rule_gives_the_partially_evaluated_formula() -> None:
    result = consequence(score="min(score(cae_1.2.3), score(cae_3.3.5))")
    assert result.score_formule == "min(score(cae_1.2.3), score(cae_3.3.5))"
    assert (
        consequence(score="min(score(cae_1), reponse(AOM_2) / 2)").score_formule == "min(score(cae_1), 0.2)"
    )
    assert consequence(score="min(0.2, 0.5)").score_formule == "0.2"
    assert consequence(score="si faux alors score(cae_1)").score_formule is None


def test_a_missing_answer_in_a_score_rule_is_an_error_naming_action_and_question() -> None:
    with pytest.raises(FormuleError) as raised:
        consequence(score="min(score(cae_1), reponse(jamais))")
    assert str(raised.value) == (
        "cae_1: règle de score réalisé « min(score(cae_1), reponse(jamais)) »: "
        "la question jamais n'a pas de réponse"
    )


def test_an_evaluation_error_names_the_action_and_the_rule() -> None:
    with pytest.raises(FormuleError) as raised:
        consequence(desactivation="identite(taille, grande)")
    assert str(raised.value) == (
        "cae_1: règle de désactivation « identite(taille, grande) »: "
        "taille n'est pas une propriété d'identité (type, population ou localisation)"
    )


def test_formulas_are_parsed_once() -> None:
    _parse.cache_clear()
    rules = [personnalisation("cae_1", reduction="si identite(type, EPCI) alors 0.5")]
    for _ in range(3):
        evaluate_consequences(rules, {}, {"type": {"EPCI"}})
    assert _parse.cache_info().misses == 1


@pytest.mark.parametrize(("ratio", "expected"), [(0.5, 0.5), (1.0, 0.8), (0.0, 0.0)])
def test_apply_score_formule_replaces_scores_by_ratios(ratio: float, expected: float) -> None:
    assert apply_score_formule("min(score(eci_1), 0.8)", {"eci_1": ratio}) == expected


def test_apply_score_formule_with_two_scores() -> None:
    formule = "min(score(cae_1.2.3), score(cae_3.3.5))"
    assert apply_score_formule(formule, {"cae_1.2.3": 0.25, "cae_3.3.5": 0.75}) == 0.25


def test_apply_score_formule_is_none_when_a_score_is_missing() -> None:
    assert apply_score_formule("min(score(eci_1), 0.8)", {}) is None
    assert apply_score_formule("min(score(eci_1), 0.8)", {"eci_1": None}) is None
    formule = "min(score(cae_1.2.3), score(cae_3.3.5))"
    assert apply_score_formule(formule, {"cae_1.2.3": 0.25}) is None


def test_apply_score_formule_gives_a_float() -> None:
    result = apply_score_formule("max(score(eci_1), VRAI)", {"eci_1": 0.5})
    assert result == 1.0 and isinstance(result, float)


def test_apply_score_formule_on_a_textual_result_is_an_error() -> None:
    with pytest.raises(FormuleError, match="au lieu d'un nombre"):
        apply_score_formule("min(score(eci_1), commune)", {"eci_1": 0.5})


@given(
    st.floats(min_value=0, max_value=10, allow_nan=False),
    st.floats(min_value=0, max_value=10, allow_nan=False),
    st.sampled_from(
        [
            "min(score(eci_1), score(eci_2))",
            "max(score(eci_1), 0.8) * score(eci_2)",
            "score(eci_1) - score(eci_2) / 3",
        ]
    ),
)
def test_score_formula_with_numbers_equals_the_reference_textual_substitution(
    a: float, b: float, formule: str
) -> None:
    textual = formule.replace("score(eci_1)", str(a)).replace("score(eci_2)", str(b))
    expected = evaluate_formule(parse_formule(textual), {}, {})
    assert apply_score_formule(formule, {"eci_1": a, "eci_2": b}) == expected
