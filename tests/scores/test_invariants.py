"""Invariants that hold for any statuts and answers on the real CAE and ECI (hypothesis)."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jalon.evaluation import consequences_for, scoring_tree
from jalon.scores.engine import COMPLETED, FAIT, FAIT_AV, NON_RENSEIGNE, PAS_FAIT_AV, TOTAL, compute_scores
from jalon.scores.statuts import Statut
from tests.scores.real import official
from tests.scores.test_incremental import IDENTITES, STATUTS, _answers, _statut_targets

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _state(referentiel_id: str, data: st.DataObject) -> tuple[dict[str, Statut], dict]:  # type: ignore[type-arg]
    loaded = official()
    consequences = consequences_for(loaded, data.draw(IDENTITES), data.draw(_answers()))
    targets = _statut_targets(referentiel_id)
    statuts = {
        k: v
        for k, v in data.draw(st.dictionaries(st.sampled_from(targets), STATUTS, max_size=80)).items()
        if v
    }
    return statuts, consequences


def _overridden_subtrees(tree, consequences) -> set[int]:  # type: ignore[no-untyped-def]
    nodes: set[int] = set()
    for action_id, c in consequences.items():
        if c.score_formule is not None and action_id in tree.index:
            nodes.update(tree.subtree(tree.index[action_id]).tolist())
    return nodes


@SETTINGS
@given(st.sampled_from(["cae", "eci"]), st.data())
def test_points_are_never_negative_and_counts_are_consistent(
    referentiel_id: str, data: st.DataObject
) -> None:
    tree = scoring_tree(official().referentiels[referentiel_id])
    statuts, consequences = _state(referentiel_id, data)
    s = compute_scores(tree, statuts, consequences)
    n = tree.n
    assert (s.matrix[:n, FAIT : NON_RENSEIGNE + 1] >= 0).all()
    assert (s.point_potentiel[:n] >= 0).all()
    assert (s.matrix[:n, COMPLETED] <= s.matrix[:n, TOTAL]).all()
    assert s.as_dict()[referentiel_id]["point_referentiel"] == 500


@SETTINGS
@given(st.sampled_from(["cae", "eci"]), st.data())
def test_a_desactive_node_and_its_subtree_are_out_of_the_potentiel(
    referentiel_id: str, data: st.DataObject
) -> None:
    tree = scoring_tree(official().referentiels[referentiel_id])
    statuts, consequences = _state(referentiel_id, data)
    scores = compute_scores(tree, statuts, consequences).as_dict()
    for i, action_id in enumerate(tree.ids):
        score = scores[action_id]
        if score["desactive"]:
            assert score["concerne"] is False
            assert score["point_potentiel"] == 0
            assert score["point_potentiel_perso"] is None
            assert all(scores[tree.ids[c]]["desactive"] for c in tree.children[i])


@SETTINGS
@given(st.sampled_from(["cae", "eci"]), st.data())
def test_a_tache_splits_its_potentiel_between_fait_programme_pas_fait_and_non_renseigne(
    referentiel_id: str, data: st.DataObject
) -> None:
    """Except under a "score réalisé" rule, which scales point_fait alone (spec §2.4 phase 6)."""
    tree = scoring_tree(official().referentiels[referentiel_id])
    statuts, consequences = _state(referentiel_id, data)
    s = compute_scores(tree, statuts, consequences)
    overridden = _overridden_subtrees(tree, consequences)
    for i in range(tree.n):
        if tree.children[i] or i in overridden:
            continue
        parts = s.matrix[i, FAIT : NON_RENSEIGNE + 1]
        assert np.isclose(parts.sum(), s.point_potentiel[i], rtol=1e-12, atol=1e-12)
        if s.matrix[i, COMPLETED] and s.concerne[i]:
            assert np.isclose(s.matrix[i, FAIT_AV : PAS_FAIT_AV + 1].sum(), 1.0)


@SETTINGS
@given(st.sampled_from(["cae", "eci"]), st.data(), st.randoms())
def test_scores_do_not_depend_on_the_order_statuts_are_given(
    referentiel_id: str, data: st.DataObject, rng: random.Random
) -> None:
    tree = scoring_tree(official().referentiels[referentiel_id])
    statuts, consequences = _state(referentiel_id, data)
    shuffled = list(statuts.items())
    rng.shuffle(shuffled)
    assert (
        compute_scores(tree, dict(shuffled), consequences).as_dict()
        == compute_scores(tree, statuts, consequences).as_dict()
    )


def test_an_untouched_referentiel_has_all_its_points_non_renseignes() -> None:
    for referentiel_id in ("cae", "eci"):
        tree = scoring_tree(official().referentiels[referentiel_id])
        root = compute_scores(tree, {}, {}).as_dict()[referentiel_id]
        assert root["point_potentiel"] == root["point_non_renseigne"] == 500
        assert root["renseigne"] is False
        assert root["point_potentiel_perso"] is None
