"""Jalon: a collectivité's self-assessment against a labelling référentiel (CAE, ECI).

The public Python API::

    import jalon
    loaded = jalon.load("../shared/referentiels")      # or jalon.load() for the bundled demo
    scores = jalon.evaluate(loaded, {"Statuts": {"cae_1.1.1.1.1": "fait"}})
    scores["cae_1.1.1"]["point_fait"]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jalon.loading import load
from jalon.referentiel.errors import Problem, ReferentielError
from jalon.referentiel.model import Referentiels
from jalon.scenarios import ScenarioError, evaluate_scenario, parse_scenario
from jalon.scores.engine import SCORE_FIELDS, ScoreValue

__all__ = [
    "SCORE_FIELDS",
    "Problem",
    "ReferentielError",
    "Referentiels",
    "ScenarioError",
    "evaluate",
    "load",
]


def evaluate(loaded: Referentiels, scenario: Mapping[str, Any]) -> dict[str, dict[str, ScoreValue]]:
    """Scores of every node, for a mapping shaped like a scenario file (Collectivité, Réponses, Statuts).

    Returns action id → the fields of ``SCORE_FIELDS`` (plain Python values), exactly what
    ``jalon evaluate`` prints. Raises ``ScenarioError`` for bad input (unknown action, statut, answer).
    """
    return evaluate_scenario(loaded, parse_scenario(scenario, loaded))
