"""From a collectivité's state to the scores of every référentiel of a loaded folder."""

from __future__ import annotations

from collections.abc import Mapping

from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles.consequences import Consequence, evaluate_consequences
from jalon.regles.evaluate import Reponse
from jalon.scores.engine import ScoreValue, compute_scores
from jalon.scores.statuts import Statut
from jalon.scores.tree import ScoringTree, build_scoring_tree

_trees: dict[int, tuple[Referentiel, ScoringTree]] = {}


def scoring_tree(referentiel: Referentiel) -> ScoringTree:
    """The engine's precomputed layout of a référentiel, built once per loaded référentiel."""
    cached = _trees.get(id(referentiel))
    if cached is None or cached[0] is not referentiel:
        cached = (referentiel, build_scoring_tree(referentiel))
        _trees[id(referentiel)] = cached
    return cached[1]


def consequences_for(
    loaded: Referentiels, identite: Mapping[str, frozenset[str]], reponses: Mapping[str, Reponse]
) -> dict[str, Consequence]:
    """What the personnalisation rules say for this collectivité, in rule order."""
    return evaluate_consequences(loaded.personnalisations, reponses, identite)


def evaluate_state(
    loaded: Referentiels,
    identite: Mapping[str, frozenset[str]],
    reponses: Mapping[str, Reponse],
    statuts: Mapping[str, Statut],
) -> dict[str, dict[str, ScoreValue]]:
    """Rounded scores of every node of every référentiel: action id → fields."""
    consequences = consequences_for(loaded, identite, reponses)
    out: dict[str, dict[str, ScoreValue]] = {}
    for referentiel in loaded.referentiels.values():
        prefix = referentiel.id
        own = {k: v for k, v in consequences.items() if k.split("_", 1)[0] == prefix}
        out.update(compute_scores(scoring_tree(referentiel), statuts, own).as_dict())
    return out
