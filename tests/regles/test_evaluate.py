"""Semantics of the rule language (spec §3.4): what evaluate_formule returns or raises."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest

from jalon.regles import FormuleError, Reponse, ReponseMissing, Value, evaluate_formule, parse_formule

REPONSES: dict[str, Reponse] = {
    "AOM_1": "NON",
    "AOM_2": 0.3,
    "voirie_1": "voirie_1_c",
    "vrai_ou_faux": True,
    "texte": "beaucoup",
}
IDENTITE: dict[str, frozenset[str]] = {
    "type": frozenset({"EPCI"}),
    "population": frozenset({"moins_de_50000"}),
}


def evaluate(
    text: str,
    reponses: Mapping[str, Reponse] = REPONSES,
    identite: Mapping[str, Collection[str]] = IDENTITE,
) -> Value:
    return evaluate_formule(parse_formule(text), reponses, identite)


def error(text: str, reponses: Mapping[str, Reponse] = REPONSES) -> str:
    with pytest.raises(FormuleError) as raised:
        evaluate(text, reponses)
    return str(raised.value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3 + 4 * 5 / 2", 13.0),
        ("1 - 2 - 3", 2.0),
        ("8 / 4 / 2", 4.0),
        ("2 * 3 - 1", 5.0),
        ("0.4/0.3", 0.4 / 0.3),
        ("8/12", 8 / 12),
    ],
)
def test_arithmetic_follows_precedence_and_right_associativity(text: str, value: float) -> None:
    result = evaluate(text)
    assert result == value and isinstance(result, float)


def test_numbers_are_floats() -> None:
    result = evaluate("3")
    assert result == 3.0 and isinstance(result, float)


@pytest.mark.parametrize(
    ("text", "value"), [("VRAI", True), ("vrai", True), ("FAUX", False), ("faux", False)]
)
def test_booleans_in_both_cases(text: str, value: bool) -> None:
    assert evaluate(text) is value


def test_a_bare_name_is_its_text() -> None:
    assert evaluate("commune") == "commune"


def test_et_binds_tighter_than_ou() -> None:
    assert evaluate("vrai et faux ou vrai") is True
    assert evaluate("faux et vrai ou faux") is False


def test_ou_and_et_return_an_operand() -> None:
    assert evaluate("vrai et 3") == 3.0
    assert evaluate("0 ou faux") is False
    assert evaluate("2 ou vrai") == 2.0
    assert evaluate("0 et vrai") == 0.0


def test_ou_and_et_short_circuit_a_missing_answer() -> None:
    assert evaluate("vrai ou reponse(jamais)") is True
    assert evaluate("faux et reponse(jamais)") is False
    with pytest.raises(ReponseMissing):
        evaluate("faux ou reponse(jamais)")


def test_dangling_sinon_binds_to_the_innermost_si() -> None:
    assert evaluate("si vrai alors si faux alors 1 sinon 2") == 2.0
    assert evaluate("si faux alors si faux alors 1 sinon 2") is None


def test_si_without_sinon_gives_none_when_false() -> None:
    assert evaluate("si faux alors 1") is None
    assert evaluate("si vrai alors 1") == 1.0
    assert evaluate("si faux alors 1 sinon 2") == 2.0


def test_si_uses_truthiness() -> None:
    assert evaluate("si 0 alors 1 sinon 2") == 2.0
    assert evaluate("si reponse(AOM_2) alors 1 sinon 2") == 1.0


def test_reponse_with_a_value_compares_the_answer() -> None:
    assert evaluate("reponse(AOM_1, NON)") is True
    assert evaluate("reponse (AOM_1, OUI)") is False
    assert evaluate("reponse(voirie_1, voirie_1_c)") is True
    assert evaluate("reponse(AOM_2, 0.3)") is True


def test_reponse_with_a_value_is_false_when_unanswered() -> None:
    assert evaluate("reponse(jamais, OUI)") is False
    assert evaluate("reponse(jamais, NON)") is False


def test_reponse_vrai_matches_a_boolean_answer_only() -> None:
    assert evaluate("reponse(vrai_ou_faux, VRAI)") is True
    assert evaluate("reponse(AOM_1, VRAI)") is False
    assert evaluate("reponse(vrai_ou_faux, OUI)") is False


def test_reponse_alone_is_the_proportion() -> None:
    result = evaluate("reponse(AOM_2)")
    assert result == 0.3 and isinstance(result, float)
    assert evaluate("reponse(AOM_2)", {"AOM_2": "0.25"}) == 0.25


def test_reponse_alone_raises_reponse_missing_when_unanswered() -> None:
    with pytest.raises(ReponseMissing) as raised:
        evaluate("1 + reponse(jamais)")
    assert raised.value.question == "jamais"


def test_reponse_alone_on_a_non_numeric_answer_is_a_formule_error() -> None:
    assert error("reponse(AOM_1)") == (
        "formule « reponse(AOM_1) »: reponse(AOM_1) attend une proportion, or la réponse à AOM_1 est « NON »"
    )


def test_identite_looks_up_the_tags() -> None:
    assert evaluate("identite(type, EPCI)") is True
    assert evaluate("identite(type, commune)") is False
    assert evaluate("identite(population, moins_de_50000)") is True


def test_identite_without_the_property_is_false() -> None:
    assert evaluate("identite(localisation, DOM)") is False


def test_identite_with_an_unknown_property_is_a_formule_error() -> None:
    assert error("identite(taille, grande)") == (
        "formule « identite(taille, grande) »: taille n'est pas une propriété d'identité "
        "(type, population ou localisation)"
    )


def test_score_is_deferred() -> None:
    assert evaluate("score(cae_1.2.3)") == "score(cae_1.2.3)"


def test_min_and_max_of_numbers() -> None:
    assert evaluate("min(reponse(AOM_2), 0.5)") == 0.3
    assert evaluate("max(reponse(AOM_2), 0.5)") == 0.5
    assert evaluate("max(reponse(AOM_2) * 10/8, 5/8)") == 0.625
    assert evaluate("max(reponse(AOM_2), 2/10) + 1/10") == pytest.approx(0.4)


def test_booleans_count_as_numbers_in_min_and_max() -> None:
    assert evaluate("max(0.3, VRAI)") is True
    assert evaluate("min(0.3, FAUX)") is False


def test_min_and_max_with_a_score_stay_symbolic() -> None:
    assert evaluate("min(score(cae_1.2.3), score(cae_3.3.5))") == "min(score(cae_1.2.3), score(cae_3.3.5))"
    assert evaluate("min(score(cae_1.2.3), 1/6)") == "min(score(cae_1.2.3), 0.16666666666666666)"
    assert evaluate("max(2, score(x))") == "max(2.0, score(x))"
    assert evaluate("max(VRAI, score(x))") == "max(VRAI, score(x))"


def test_a_symbolic_result_can_be_read_again() -> None:
    symbolic = evaluate("min(score(x), 1/3)")
    assert isinstance(symbolic, str)
    assert evaluate(symbolic.replace("score(x)", "0.25")) == 0.25


def test_arithmetic_on_booleans_follows_python() -> None:
    assert evaluate("vrai + 1") == 2.0


def test_arithmetic_on_a_score_is_a_formule_error() -> None:
    assert error("score(x) + 1") == (
        "formule « score(x) + 1 »: « + » ne s'applique qu'à des nombres, or « score(x) » n'est pas un nombre"
    )


def test_arithmetic_on_a_name_is_a_formule_error() -> None:
    assert error("2 * 3 * commune") == (
        "formule « 2 * 3 * commune »: « * » ne s'applique qu'à des nombres, "
        "or « commune » n'est pas un nombre dans « 3 * commune »"
    )


def test_division_by_zero_is_a_formule_error() -> None:
    assert error("1 / 0") == "formule « 1 / 0 »: division par zéro"
    assert (
        error("si vrai alors 2 * 1 / 0")
        == "formule « si VRAI alors 2 * 1 / 0 »: division par zéro dans « 1 / 0 »"
    )


def test_division_by_a_zero_answer_is_a_formule_error() -> None:
    assert "division par zéro" in error("1 / reponse(AOM_2)", {"AOM_2": 0.0})


def test_the_cae_1_2_4_chain() -> None:
    # The example of spec §3.5, with the identité and answers that reach each branch.
    text = (
        "si identite(type, EPCI) et reponse(habitat_1, NON) alors 8/12 "
        "sinon si identite(type, commune) alors max (reponse(habitat_2), 0.5)"
    )
    assert evaluate(text, {"habitat_1": "NON"}, {"type": {"EPCI"}}) == 8 / 12
    assert evaluate(text, {"habitat_1": "OUI"}, {"type": {"EPCI"}}) is None
    assert evaluate(text, {"habitat_2": 0.7}, {"type": {"commune"}}) == 0.7
    with pytest.raises(ReponseMissing):
        evaluate(text, {}, {"type": {"commune"}})
