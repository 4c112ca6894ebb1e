"""From a collectivité's answers and identité to what the rules do to each action (SCORING-SPEC §3.5).

Consequences are re-evaluated every time a collectivité changes an answer; the formulas are parsed once
(parse_formule caches on the text).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from jalon.referentiel.model import Personnalisation, Regle
from jalon.regles.errors import FormuleError, ReponseMissing
from jalon.regles.evaluate import Reponse, Value, evaluate_formule, value_text
from jalon.regles.parser import parse_formule, shown_formule


@dataclass(frozen=True, slots=True)
class Consequence:
    """What the rules of one action say; None means "no effect" (no rule, or no result yet)."""

    desactive: bool | None
    potentiel_perso: float | None  # factor applied to the points of the action and its subtree
    score_formule: str | None  # partially evaluated "score réalisé" formula, finished in phase 6


def evaluate_consequences(
    personnalisations: Iterable[Personnalisation],
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
) -> dict[str, Consequence]:
    """action id → Consequence, in the given (rule) order, for every personnalisation, even without effect.

    Raises FormuleError, naming the action, for a rule that cannot be evaluated.
    """
    consequences: dict[str, Consequence] = {}
    for personnalisation in personnalisations:
        consequences[personnalisation.action_id] = Consequence(
            desactive=_desactive(personnalisation, reponses, identite),
            potentiel_perso=_potentiel_perso(personnalisation, reponses, identite),
            score_formule=_score_formule(personnalisation, reponses, identite),
        )
    return consequences


def _desactive(
    personnalisation: Personnalisation,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
) -> bool | None:
    value = _value(personnalisation.regle("desactivation"), personnalisation.action_id, reponses, identite)
    return None if value is None else bool(value)  # a truthy non-boolean désactive, as in the reference


def _potentiel_perso(
    personnalisation: Personnalisation,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
) -> float | None:
    regle = personnalisation.regle("reduction")
    value = _value(regle, personnalisation.action_id, reponses, identite)
    if regle is None or value is None:
        return None
    if isinstance(value, str):
        # A bare name or a deferred score: the points cannot be multiplied by it.
        raise _regle_error(regle, personnalisation.action_id, f"donne « {value} » au lieu d'un nombre")
    return float(value)


def _value(
    regle: Regle | None,
    action_id: str,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
) -> Value:
    if regle is None:
        return None
    try:
        return evaluate_formule(parse_formule(regle.formule), reponses, identite)
    except ReponseMissing:
        return None  # a désactivation or réduction waits for its answer
    except FormuleError as error:
        raise _regle_error(regle, action_id, error.detail) from None


def _score_formule(
    personnalisation: Personnalisation,
    reponses: Mapping[str, Reponse],
    identite: Mapping[str, Collection[str]],
) -> str | None:
    regle = personnalisation.regle("score")
    if regle is None:
        return None
    try:
        value = evaluate_formule(parse_formule(regle.formule), reponses, identite)
    except ReponseMissing as missing:
        # The reference crashes here; a score rule has no "not yet" state, so say what it needs.
        detail = f"la question {missing.question} n'a pas de réponse"
        raise _regle_error(regle, personnalisation.action_id, detail) from None
    except FormuleError as error:
        raise _regle_error(regle, personnalisation.action_id, error.detail) from None
    return None if value is None else value_text(value)


_TITLES = {"desactivation": "désactivation", "reduction": "réduction de potentiel", "score": "score réalisé"}


def _regle_error(regle: Regle, action_id: str, detail: str) -> FormuleError:
    message = f"{action_id}: règle de {_TITLES[regle.type]} « {shown_formule(regle.formule)} »: {detail}"
    return FormuleError(message, detail=detail)


_SCORE_CALL = re.compile(r"score\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)")


def score_references(score_formule: str) -> list[str]:
    """The action ids a deferred score formula reads (``score(<id>)``), in order."""
    return _SCORE_CALL.findall(score_formule)


def apply_score_formule(score_formule: str, ratios: Mapping[str, float | None]) -> float | None:
    """Phase 6 of the scores (§2.4): finish a deferred formula once the scores are known.

    `ratios` maps action ids to point_fait / point_potentiel (the caller gives 0.0 for a potentiel of 0).
    Every `score(<id>)` is replaced by the decimal text of its ratio, as the reference does; the result is
    None when a referenced action has no ratio.
    """
    # The reference substitutes the decimal text of each ratio and parses again; str(float) reads back
    # as the same float, so evaluating the parsed formula with the numbers gives the same value.
    referenced = score_references(score_formule)
    values: dict[str, float] = {}
    for action_id in referenced:
        ratio = ratios.get(action_id)
        if ratio is None:
            return None
        values[action_id] = float(ratio)
    value = evaluate_formule(parse_formule(score_formule), {}, {}, values)
    if value is None:
        return None
    if isinstance(value, str):
        raise FormuleError(
            f"formule de score « {shown_formule(score_formule)} »: donne « {value} » au lieu d'un nombre",
            detail=f"donne « {value} » au lieu d'un nombre",
        )
    return float(value)
