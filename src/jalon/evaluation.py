"""From a collectivité's state to the scores of every référentiel of a loaded folder."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles.consequences import Consequence, evaluate_consequences
from jalon.regles.evaluate import Reponse
from jalon.scores.engine import ScoreValue, compute_scores
from jalon.scores.statuts import Statut
from jalon.scores.tree import ScoringTree, build_scoring_tree

# Keyed by identity (a référentiel is immutable; hashing its fields would cost more than the lookup saves),
# the least recently used dropped beyond this many: a long-running process sees new versions imported.
SCORING_TREES_KEPT = 16
_trees: OrderedDict[int, tuple[Referentiel, ScoringTree]] = OrderedDict()
_trees_lock = threading.Lock()  # the web app's threads share it


def scoring_tree(referentiel: Referentiel) -> ScoringTree:
    """The engine's precomputed layout of a référentiel, built once per loaded référentiel."""
    key = id(referentiel)
    with _trees_lock:
        cached = _trees.get(key)
        if cached is not None and cached[0] is referentiel:
            _trees.move_to_end(key)
            return cached[1]
    tree = build_scoring_tree(referentiel)  # outside the lock: two threads may both build it, once
    with _trees_lock:
        _trees[key] = (referentiel, tree)
        while len(_trees) > SCORING_TREES_KEPT:
            _trees.popitem(last=False)
    return tree


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
        own = {k: v for k, v in consequences.items() if k in referentiel.actions}
        out.update(compute_scores(scoring_tree(referentiel), statuts, own).as_dict())
    return out
