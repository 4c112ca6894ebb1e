"""The scoring trees kept by a process: one per référentiel, built once, never more than a bound."""

from __future__ import annotations

import dataclasses

import jalon
from jalon import evaluation


def test_a_referentiel_s_scoring_tree_is_built_once() -> None:
    referentiel = next(iter(jalon.load().referentiels.values()))
    assert evaluation.scoring_tree(referentiel) is evaluation.scoring_tree(referentiel)


def test_the_scoring_trees_kept_are_bounded_the_least_recently_used_dropped() -> None:
    referentiel = next(iter(jalon.load().referentiels.values()))
    kept = evaluation.scoring_tree(referentiel)
    # Distinct référentiel objects, as new versions imported by a long-running process would be.
    others = [dataclasses.replace(referentiel) for _ in range(evaluation.SCORING_TREES_KEPT + 4)]
    for i, other in enumerate(others):
        evaluation.scoring_tree(other)
        if i % 4 == 0:
            assert evaluation.scoring_tree(referentiel) is kept  # used again: kept
    assert len(evaluation._trees) <= evaluation.SCORING_TREES_KEPT
    assert evaluation.scoring_tree(referentiel) is kept
    assert evaluation.scoring_tree(others[0]) is not None  # dropped earlier, built again on demand
