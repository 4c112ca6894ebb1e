"""The answers to the personnalisation questions, as the rules read them (SCORING-SPEC §3.1).

An answer (`Reponse`, defined with the evaluator) is `OUI`/`NON` for a binaire question, a choice id for a
choix question, a number between 0 and 1 for a proportion. Scenario files and the web both check
answers here, so that each gives the same French message.
"""

from __future__ import annotations

import math

from jalon.referentiel.model import Referentiels, referentiel_id_of
from jalon.regles.errors import FormuleError
from jalon.regles.evaluate import Reponse
from jalon.regles.parser import (
    Arithmetic,
    Formule,
    If,
    Logical,
    MinMax,
    ReponseEquals,
    ReponseValue,
    parse_formule,
)


def check_reponse(loaded: Referentiels, question_id: str, answer: Reponse) -> str | None:
    """Why ``answer`` is not a valid answer to the question ``question_id`` of ``loaded``, or None.

    The message does not repeat the question id: callers show it beside (file:line: id: message).
    """
    question = loaded.questions.get(question_id)
    if question is None:
        return "question inconnue dans les référentiels chargés"
    shown = f"la réponse « {_shown(answer)} » ne convient pas"
    if question.type == "binaire" and answer not in ("OUI", "NON"):
        return f"{shown} : attendu OUI ou NON (question binaire)"
    if question.type == "choix":
        choices = [c.id for c in question.choix]
        if answer not in choices:
            return f"{shown} : attendu l'un des choix {', '.join(choices)}"
    if question.type == "proportion" and (
        isinstance(answer, str | bool) or not math.isfinite(answer) or not 0.0 <= answer <= 1.0
    ):
        return f"{shown} : attendu une proportion, un nombre entre 0 et 1"
    return None


def _shown(answer: Reponse) -> str:
    if isinstance(answer, bool):
        return "VRAI" if answer else "FAUX"
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))  # 2.0 typed as 2
    return str(answer)


def referentiels_reading(loaded: Referentiels, question_id: str) -> frozenset[str]:
    """The référentiels whose personnalisation rules read the question: those an answer to it can
    change (a question may be shared by several)."""
    return frozenset(
        referentiel_id_of(p.action_id)
        for p in loaded.personnalisations
        if any(question_id in _questions(regle.formule) for regle in p.regles)
    )


def _questions(formule: str) -> set[str]:
    """The questions a formula reads (none when it does not parse: the loader reported it)."""
    try:
        tree = parse_formule(formule)  # cached on the text
    except FormuleError:
        return set()
    found: set[str] = set()
    todo: list[Formule | None] = [tree]
    while todo:
        match todo.pop():
            case ReponseEquals(question=q) | ReponseValue(question=q):
                found.add(q)
            case MinMax(left=left, right=right) | Arithmetic(left=left, right=right):
                todo += [left, right]
            case Logical(left=left, right=right):
                todo += [left, right]
            case If(condition=condition, then=then, otherwise=otherwise):
                todo += [condition, then, otherwise]
    return found
