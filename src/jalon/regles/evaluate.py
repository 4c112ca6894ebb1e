"""Evaluate a parsed formula against a collectivité's answers and identité (SCORING-SPEC §3.4).

Values follow the reference interpreter, which is plain Python: numbers are floats, `ou`/`et` return an
operand, booleans count as numbers in `min`/`max`, and `score(…)` stays symbolic (a string) until the
scores are known.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import TypeAlias

from jalon.regles.errors import FormuleError, ReponseMissing
from jalon.regles.parser import (
    Arithmetic,
    Boolean,
    Formule,
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

Value: TypeAlias = float | bool | str | None
Reponse: TypeAlias = str | float | bool

# The identité properties and the tags a collectivité can carry (§3.2), in a readable order.
IDENTITE_VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "type": ("commune", "EPCI", "syndicat", "syndicat_traitement"),
        "population": (
            "moins_de_3000",
            "moins_de_5000",
            "moins_de_10000",
            "moins_de_20000",
            "moins_de_50000",
            "moins_de_100000",
            "plus_de_3000",
            "plus_de_20000",
            "plus_de_100000",
            "plus_de_300000",
            "plus_de_800000",
        ),
        "localisation": ("DOM", "Metropole"),
    }
)


class _Failure(Exception):
    """Raised deep in the evaluation; evaluate_formule turns it into a FormuleError naming the formula."""

    def __init__(self, detail: str, node: Formule) -> None:
        super().__init__(detail)
        self.detail = detail
        self.node = node


def evaluate_formule(
    formule: Formule,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
    scores: Mapping[str, float] | None = None,
) -> Value:
    """The value of a formula; raises ReponseMissing or FormuleError (never another exception).

    `reponses` maps question ids to answers (`OUI`/`NON`, an option id, a proportion); unanswered
    questions are absent. `identite` maps `type`, `population` and `localisation` to the tags of the
    collectivité; a missing property has no tags. `scores` gives the value of `score(<id>)` (phase 6);
    without it, or for an id it lacks, `score(<id>)` stays symbolic.
    """
    try:
        return _evaluate(formule, reponses, identite, scores)
    except _Failure as failure:
        detail = failure.detail if failure.node is formule else f"{failure.detail} dans « {failure.node} »"
        raise FormuleError(f"formule « {formule} »: {detail}", detail=detail) from None
    except RecursionError:
        # Printing the formula would recurse just as deep: keep the message short.
        detail = "formule trop imbriquée pour être évaluée"
        raise FormuleError(detail, detail=detail) from None


def value_text(value: Value) -> str:
    """A value written back in the rule language, so that a deferred (`score`) formula can be re-read."""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    return str(value)  # str(float) is exact when read back


def _evaluate(
    node: Formule,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
    scores: Mapping[str, float] | None,
) -> Value:
    match node:
        case Number(value) | Boolean(value) | Name(value):
            return value
        case ReponseEquals(question, expected):
            # Python equality, as the reference: `reponse(q, VRAI)` only matches a boolean (or 1) answer.
            return question in reponses and reponses[question] == _evaluate(
                expected, reponses, identite, scores
            )
        case ReponseValue():
            return _proportion(node, reponses)
        case Identite(key, expected):
            if key not in IDENTITE_VALUES:
                raise _Failure(
                    f"{key} n'est pas une propriété d'identité (type, population ou localisation)", node
                )
            return _evaluate(expected, reponses, identite, scores) in identite.get(key, ())
        case Score(action_id):
            if scores is not None and action_id in scores:
                return scores[action_id]
            return f"score({action_id})"
        case MinMax(function, left, right):
            a = _evaluate(left, reponses, identite, scores)
            b = _evaluate(right, reponses, identite, scores)
            if isinstance(a, int | float) and isinstance(b, int | float):
                return min(a, b) if function == "min" else max(a, b)
            # Not both numbers (a deferred score): the formula stays symbolic, to be finished in phase 6.
            return f"{function}({value_text(a)}, {value_text(b)})"
        case Arithmetic(_, left, right):
            return _arithmetic(
                node,
                _evaluate(left, reponses, identite, scores),
                _evaluate(right, reponses, identite, scores),
            )
        case Logical("ou", left, right):
            a = _evaluate(left, reponses, identite, scores)
            return a if a else _evaluate(right, reponses, identite, scores)
        case Logical(_, left, right):
            a = _evaluate(left, reponses, identite, scores)
            return _evaluate(right, reponses, identite, scores) if a else a
        case If(condition, then, otherwise):
            if _evaluate(condition, reponses, identite, scores):
                return _evaluate(then, reponses, identite, scores)
            return None if otherwise is None else _evaluate(otherwise, reponses, identite, scores)
    raise AssertionError(f"unknown formula node {node!r}")  # pragma: no cover - the union is exhaustive


def _proportion(node: ReponseValue, reponses: Mapping[str, Reponse]) -> float:
    answer = reponses.get(node.question)
    if answer is None:
        raise ReponseMissing(node.question)
    try:
        return float(answer)
    except ValueError:
        detail = f"{node} attend une proportion, or la réponse à {node.question} est « {answer} »"
        raise _Failure(detail, node) from None


def _arithmetic(node: Arithmetic, left: Value, right: Value) -> float:
    a = _operand(node, node.left, left)
    b = _operand(node, node.right, right)
    if node.operator == "+":
        return float(a + b)
    if node.operator == "-":
        return float(a - b)
    if node.operator == "*":
        return float(a * b)
    if b == 0:
        raise _Failure("division par zéro", node)
    return float(a / b)


def _operand(node: Arithmetic, operand: Formule, value: Value) -> float:
    if isinstance(value, int | float):  # booleans included: Python arithmetic, as the reference
        return value
    text = value_text(value)
    what = f"« {operand} » n'est pas un nombre" if text == str(operand) else f"« {operand} » vaut « {text} »"
    raise _Failure(f"« {node.operator} » ne s'applique qu'à des nombres, or {what}", node)
