"""Syntax of the rule language (spec §3.3): the tree parse_formule builds and its error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jalon.regles import FormuleError, evaluate_formule, parse_formule
from jalon.regles.errors import ReponseMissing
from jalon.regles.parser import (
    Arithmetic,
    Boolean,
    Identite,
    If,
    Logical,
    MinMax,
    Name,
    Number,
    ReponseEquals,
    ReponseValue,
    Score,
)

_ALL_VALUES = "un nombre, VRAI/FAUX, un nom, reponse(…), identite(…), score(…), min(…) ou max(…)"


def test_multiplication_binds_tighter_than_addition() -> None:
    assert parse_formule("3 + 4 * 5") == Arithmetic("+", Number(3), Arithmetic("*", Number(4), Number(5)))


def test_subtraction_and_division_are_right_associative() -> None:
    assert parse_formule("1 - 2 - 3") == Arithmetic("-", Number(1), Arithmetic("-", Number(2), Number(3)))
    assert parse_formule("8 / 4 / 2") == Arithmetic("/", Number(8), Arithmetic("/", Number(4), Number(2)))


def test_et_binds_tighter_than_ou() -> None:
    assert parse_formule("vrai et faux ou vrai") == Logical(
        "ou", Logical("et", Boolean(True), Boolean(False)), Boolean(True)
    )
    assert parse_formule("vrai ou faux et vrai") == Logical(
        "ou", Boolean(True), Logical("et", Boolean(False), Boolean(True))
    )


def test_arithmetic_binds_tighter_than_et() -> None:
    assert parse_formule("1 + 2 et 3") == Logical("et", Arithmetic("+", Number(1), Number(2)), Number(3))


def test_dangling_sinon_binds_to_the_innermost_si() -> None:
    assert parse_formule("si vrai alors si faux alors 1 sinon 2") == If(
        Boolean(True), If(Boolean(False), Number(1), Number(2)), None
    )


def test_sinon_si_chains_nest() -> None:
    assert parse_formule("si faux alors 1 sinon si vrai alors 2 sinon 3") == If(
        Boolean(False), Number(1), If(Boolean(True), Number(2), Number(3))
    )


def test_si_without_sinon_has_no_else_branch() -> None:
    assert parse_formule("si vrai alors 1") == If(Boolean(True), Number(1), None)


def test_functions_build_their_nodes() -> None:
    assert parse_formule("reponse(voirie_1, voirie_1_c)") == ReponseEquals("voirie_1", Name("voirie_1_c"))
    assert parse_formule("reponse(AOM_2)") == ReponseValue("AOM_2")
    assert parse_formule("identite(type, EPCI)") == Identite("type", Name("EPCI"))
    assert parse_formule("score(cae_1.2.3)") == Score("cae_1.2.3")
    assert parse_formule("min(reponse(AOM_2), 1/2)") == MinMax(
        "min", ReponseValue("AOM_2"), Arithmetic("/", Number(1), Number(2))
    )
    assert parse_formule("max(1, 2)") == MinMax("max", Number(1), Number(2))


@pytest.mark.parametrize(
    ("text", "value"), [("VRAI", True), ("vrai", True), ("FAUX", False), ("faux", False)]
)
def test_booleans_accept_both_cases(text: str, value: bool) -> None:
    assert parse_formule(text) == Boolean(value)


def test_other_cases_of_booleans_are_names() -> None:
    assert parse_formule("Vrai") == Name("Vrai")


@pytest.mark.parametrize(
    ("text", "value"), [("2", 2.0), ("-0.5", -0.5), ("+3", 3.0), (".5", 0.5), ("1e-3", 0.001)]
)
def test_numbers_are_floats(text: str, value: float) -> None:
    assert parse_formule(text) == Number(value)


def test_space_and_line_breaks_before_a_parenthesis_are_allowed() -> None:
    assert parse_formule("reponse (AOM_1, NON)") == parse_formule("reponse(AOM_1,NON)")
    assert parse_formule("max (reponse(habitat_2),\n 0.5)") == parse_formule("max(reponse(habitat_2), 0.5)")
    assert parse_formule("reponse\n(trafic, NON)") == ReponseEquals("trafic", Name("NON"))


def test_keywords_are_whole_words() -> None:
    assert parse_formule("sinonx") == Name("sinonx")
    assert parse_formule("simple et ouest") == Logical("et", Name("simple"), Name("ouest"))
    assert parse_formule("identite(type, score_x)") == Identite("type", Name("score_x"))


def test_a_formula_prints_back_in_the_language() -> None:
    text = (
        "si identite(type, EPCI) et reponse(habitat_1, NON) alors 8 / 12 sinon max(reponse(habitat_2), 0.5)"
    )
    assert str(parse_formule(text)) == text
    assert str(parse_formule("si vrai alors 1.25")) == "si VRAI alors 1.25"


def _message(text: str) -> str:
    with pytest.raises(FormuleError) as error:
        parse_formule(text)
    return str(error.value)


def test_capitalised_si_is_a_syntax_error() -> None:
    assert _message("Si vrai alors 1") == (
        "formule « Si vrai alors 1 »: « vrai » inattendu à la colonne 4, "
        "attendu « + », « - », « * », « / », « et », « ou » ou la fin de la formule"
    )


def test_a_missing_operand_is_a_syntax_error_at_the_end() -> None:
    assert _message("1 +") == f"formule « 1 + »: fin inattendue à la colonne 4, attendu {_ALL_VALUES}"


def test_an_empty_argument_is_a_syntax_error() -> None:
    assert _message("reponse(p, )") == (
        "formule « reponse(p, ) »: « ) » inattendu à la colonne 12, attendu un nombre, VRAI/FAUX ou un nom"
    )


def test_parentheses_do_not_group() -> None:
    assert _message("2 * (1 + 1)") == (
        "formule « 2 * (1 + 1) »: « ( » inattendu à la colonne 5 (les parenthèses ne servent qu'aux "
        f"fonctions, pas à grouper), attendu {_ALL_VALUES}"
    )


def test_a_keyword_is_not_a_name() -> None:
    assert _message("1 + si") == f"formule « 1 + si »: « si » inattendu à la colonne 5, attendu {_ALL_VALUES}"


def test_an_unknown_character_is_named() -> None:
    assert _message("1 & 2").startswith(
        "formule « 1 & 2 »: caractère « & » inattendu à la colonne 3, attendu"
    )


def test_si_needs_alors() -> None:
    assert _message("si vrai") == "formule « si vrai »: fin inattendue à la colonne 8, attendu « alors »"


def test_min_takes_arithmetic_terms_only() -> None:
    assert "« ou » inattendu à la colonne 7" in _message("min(1 ou 2, 3)")


def test_identite_needs_two_arguments() -> None:
    assert _message("identite(type)") == (
        "formule « identite(type) »: « ) » inattendu à la colonne 14, attendu « , »"
    )


def test_a_multi_line_formula_gives_line_and_column() -> None:
    assert _message("si vrai alors 1\nsinon\n") == (
        "formule « si vrai alors 1 sinon »: fin inattendue à la ligne 2, colonne 6, attendu un nombre, "
        "VRAI/FAUX, un nom, reponse(…), identite(…), score(…), min(…), max(…) ou « si »"
    )


def test_columns_count_in_the_formula_as_shown() -> None:
    assert _message("   1 +  \n") == f"formule « 1 + »: fin inattendue à la colonne 4, attendu {_ALL_VALUES}"


def test_an_empty_formula_is_an_error() -> None:
    assert _message("  \n").startswith("formule vide, attendu un nombre")


def test_errors_keep_the_detail_without_the_formula() -> None:
    with pytest.raises(FormuleError) as error:
        parse_formule("1 +")
    assert error.value.detail == f"fin inattendue à la colonne 4, attendu {_ALL_VALUES}"


# Random input: parse_formule returns a tree or raises FormuleError, nothing else, and a tree it returns
# prints back to itself and evaluates to a value or a FormuleError / ReponseMissing.

_WORDS = [
    "si", "alors", "sinon", "et", "ou", "Si", "vrai", "FAUX", "reponse", "identite", "score", "min", "max",
    "(", ")", ",", "+", "-", "*", "/", "1", "0", "-2.5", "1e3", ".5", "type", "EPCI", "AOM_1", "AOM_2",
    "OUI", "cae_1.2", "population", "moins_de_3000", "&", "\n", "",
]  # fmt: skip


def _check_total(text: str) -> None:
    try:
        formule = parse_formule(text)
    except FormuleError as error:
        assert error.detail and "\n" not in str(error)
        return
    assert parse_formule(str(formule)) == formule
    try:
        evaluate_formule(formule, {"AOM_1": "OUI", "AOM_2": 0.5}, {"type": {"EPCI"}})
    except (FormuleError, ReponseMissing):
        pass


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_random_text_parses_or_raises_formule_error(text: str) -> None:
    _check_total(text)


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_WORDS), max_size=14).map(" ".join))
def test_random_token_soup_parses_or_raises_formule_error(text: str) -> None:
    _check_total(text)


def test_a_very_long_formula_parses_without_recursion() -> None:
    formule = parse_formule(" + ".join(["1"] * 5000))
    assert isinstance(formule, Arithmetic)
    with pytest.raises(FormuleError, match="trop imbriquée"):
        evaluate_formule(formule, {}, {})
