"""Static checks of the rules against the questions (SCORING-SPEC §3.6), run when a référentiel is loaded.

The checker infers a shallow type (booléen, nombre, texte) for every formula, as the reference one does:
`si` takes the type of its `alors` branch, `ou`/`et` the type of their left operand. Unlike the reference,
which stops at the first problem, every problem of a rule is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from jalon.referentiel.errors import Problem
from jalon.referentiel.model import Personnalisation, Question, Regle, referentiel_id_of
from jalon.regles.errors import FormuleError
from jalon.regles.evaluate import IDENTITE_VALUES
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
    parse_formule,
    shown_formule,
)

_Type = Literal["booléen", "nombre", "texte"]

_LABELS = {"desactivation": "Désactivation", "reduction": "Réduction de potentiel", "score": "Score réalisé"}


def check_personnalisations(
    personnalisations: Iterable[Personnalisation], questions: Mapping[str, Question]
) -> list[Problem]:
    """Every problem of every rule, located at its ```formule block and about its action."""
    return [
        Problem(regle.source.path, regle.source.line, message, personnalisation.action_id)
        for personnalisation in personnalisations
        for regle in personnalisation.regles
        for message in check_regle(regle, personnalisation.action_id, questions)
    ]


def check_regle(regle: Regle, action_id: str, questions: Mapping[str, Question]) -> list[str]:
    """Human messages about one rule of action `action_id`; empty when the rule is fine.

    Besides the checks of the reference, `score(x)` must name an action of the rule's own référentiel:
    scores are computed per référentiel, so any other id would never have a score.
    """
    prefix = f"{_LABELS[regle.type]} « {shown_formule(regle.formule)} »"
    try:
        formule = parse_formule(regle.formule)
    except FormuleError as error:
        return [f"{prefix}: {error.detail}"]
    # Score rules are evaluated only after scoring: the reference does not type them, nor do we.
    checker = _Checker(questions, referentiel_id_of(action_id), typed=regle.type != "score")
    try:
        type_ = checker.type_of(formule)
    except RecursionError:
        return [f"{prefix}: formule trop imbriquée pour être vérifiée"]
    messages = checker.problems
    if regle.type == "desactivation" and type_ != "booléen":
        messages.append(
            f"une désactivation doit donner un booléen (VRAI/FAUX), or la formule donne un {type_}."
        )
    elif regle.type == "reduction" and type_ == "booléen":
        messages.append("une réduction de potentiel doit donner un nombre, or la formule donne un booléen.")
    return [f"{prefix}: {message}" for message in dict.fromkeys(messages)]


class _Checker:
    """Infers the type of a formula, collecting problems along the way."""

    def __init__(self, questions: Mapping[str, Question], referentiel: str, *, typed: bool) -> None:
        self.questions = questions
        self.referentiel = referentiel
        self.typed = typed  # False: only check that scores name actions of the référentiel
        self.problems: list[str] = []

    def _problem(self, message: str) -> None:
        if self.typed:
            self.problems.append(message)

    def type_of(self, node: Formule) -> _Type:
        match node:
            case Number():
                return "nombre"
            case Boolean():
                return "booléen"
            case Name():
                return "texte"
            case ReponseEquals(question, value):
                self._check_choix(question, value)
                return "booléen"
            case ReponseValue(question):
                self._check_proportion(question)
                return "nombre"
            case Identite(key, value):
                self._check_identite(key, value)
                return "booléen"
            case Score(action_id):
                if referentiel_id_of(action_id) != self.referentiel:
                    self.problems.append(
                        f"score({action_id}) ne désigne pas une action du référentiel {self.referentiel}."
                    )
                return "texte"
            case MinMax(function, left, right):
                self._check_numbers(function, left, right)
                return "nombre"
            case Arithmetic(operator, left, right):
                self._check_numbers(f"« {operator} »", left, right)
                return "nombre"
            case Logical(_, left, right):
                type_ = self.type_of(left)
                self.type_of(right)  # only for the problems inside
                return type_
            case If(condition, then, otherwise):
                self.type_of(condition)
                type_ = self.type_of(then)
                if otherwise is not None:
                    self.type_of(otherwise)
                return type_
        raise AssertionError(f"unknown formula node {node!r}")  # pragma: no cover - the union is exhaustive

    def _check_choix(self, question_id: str, value: Formule) -> None:
        question = self.questions.get(question_id)
        if question is None:
            self._problem(f"Id de question inconnue: {question_id}.")
            return
        if question.type == "proportion":
            self._problem(
                f"La question d'id {question_id} est de type proportion, "
                "donc la fonction réponse n'attend qu'un argument."
            )
            return
        choix = ("OUI", "NON") if question.type == "binaire" else tuple(c.id for c in question.choix)
        if not (isinstance(value, Name) and value.value in choix):
            self._problem(
                f"L'id de choix {value} est inconnu pour la question {question_id}. "
                f"Choix possibles : {', '.join(choix)}"
            )

    def _check_proportion(self, question_id: str) -> None:
        question = self.questions.get(question_id)
        if question is None:
            self._problem(f"Id de question inconnue: {question_id}.")
        elif question.type != "proportion":
            self._problem(
                f"La question d'id {question_id} est de type {question.type}, "
                "donc la fonction réponse attend deux arguments."
            )

    def _check_identite(self, key: str, value: Formule) -> None:
        allowed = IDENTITE_VALUES.get(key)
        if allowed is None:
            self._problem(
                f"{key} n'est pas une propriété d'identité valide (type, population ou localisation)."
            )
        elif not (isinstance(value, Name) and value.value in allowed):
            self._problem(
                f"{value} n'est pas une valeur valide de {key} (valeurs possibles : {', '.join(allowed)})."
            )

    def _check_numbers(self, function: str, left: Formule, right: Formule) -> None:
        # Shallow, as the reference: a deferred score (texte) is accepted as the first operand only.
        left_type = self.type_of(left)
        right_type = self.type_of(right)
        if left_type == "booléen" or right_type != "nombre":
            wrong, type_ = (left, left_type) if left_type == "booléen" else (right, right_type)
            self._problem(
                f"{function} ne prend que des arguments de type nombre (ou un score en premier), "
                f"or « {wrong} » est de type {type_}."
            )
