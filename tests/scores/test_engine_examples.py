"""The worked examples of the scoring specification (§2.6), on a toy tree with action level 1."""

from __future__ import annotations

from jalon.regles.consequences import Consequence
from jalon.scores.engine import compute_scores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PROGRAMME, Statut
from jalon.scores.tree import build_scoring_tree
from tests.scores.toy import EXAMPLE_POINTS, toy_referentiel

TREE = build_scoring_tree(toy_referentiel(EXAMPLE_POINTS, action_level=1))


def scores(statuts: dict[str, Statut], consequences: dict[str, Consequence] | None = None) -> dict:  # type: ignore[type-arg]
    return compute_scores(TREE, statuts, consequences or {}).as_dict()


NON_CONCERNE_22 = {"eci_2.2.1": NON_CONCERNE, "eci_2.2.2": NON_CONCERNE, "eci_2.2.3": NON_CONCERNE}


def test_children_all_non_concerne_make_the_parent_non_concerne() -> None:
    s = scores({**NON_CONCERNE_22, "eci_1.1": PROGRAMME})["eci_2.2"]
    assert s["concerne"] is False
    assert s["point_potentiel"] == 0
    assert (s["total_taches_count"], s["completed_taches_count"], s["pas_concerne_taches_avancement"]) == (
        3,
        3,
        3,
    )


def test_points_of_a_non_concerne_sibling_go_to_siblings_with_points_and_rescale_children() -> None:
    s = scores({**NON_CONCERNE_22, "eci_1.1": PROGRAMME})
    assert s["eci_2.1"]["point_potentiel"] == 70
    assert s["eci_2.0"]["point_potentiel"] == 0  # réglementaire, 0 points: receives nothing
    assert s["eci_2.1.1"]["point_potentiel"] == 43.077
    assert s["eci_2.1.2"]["point_potentiel"] == 26.923
    assert s["eci_2.1.0"]["point_potentiel"] == 0
    assert s["eci_2"]["point_potentiel"] == 70
    root = s["eci"]
    assert (root["point_fait"], root["point_programme"], root["point_non_renseigne"]) == (0, 10, 90)
    assert root["point_potentiel"] == 100
    assert (
        root["total_taches_count"],
        root["completed_taches_count"],
        root["pas_concerne_taches_avancement"],
    ) == (9, 4, 3)


def test_nothing_is_redistributed_at_the_action_level() -> None:
    s = scores({"eci_1.1": NON_CONCERNE, "eci_1.2": NON_CONCERNE})
    assert s["eci_1"]["concerne"] is False
    assert s["eci"]["point_potentiel"] == 70
    assert s["eci"]["point_referentiel"] == 100


def test_a_reduction_multiplies_the_subtree_and_reports_perso_on_the_node_only() -> None:
    s = scores({}, {"eci_1": Consequence(desactive=None, potentiel_perso=0.2, score_formule=None)})
    assert (s["eci_1.1"]["point_potentiel"], s["eci_1.2"]["point_potentiel"]) == (2, 4)
    assert s["eci_1"]["point_potentiel"] == 6
    assert s["eci_1"]["point_potentiel_perso"] == 6
    assert s["eci_1.1"]["point_potentiel_perso"] is None
    assert s["eci"]["point_potentiel"] == 76


def test_a_desactivation_removes_the_subtree_from_the_potentiel() -> None:
    s = scores({}, {"eci_1": Consequence(desactive=True, potentiel_perso=None, score_formule=None)})
    assert s["eci_1"]["desactive"] is True and s["eci_1.1"]["desactive"] is True
    assert s["eci_1"]["point_potentiel"] == 0
    assert s["eci_1"]["point_potentiel_perso"] is None
    assert s["eci"]["point_potentiel"] == 70


def test_a_score_override_scales_point_fait_of_the_subtree_and_ancestors() -> None:
    override = Consequence(
        desactive=None, potentiel_perso=None, score_formule="min(score(eci_1), score(eci_2))"
    )
    s = scores({"eci_1.1": FAIT, "eci_1.2": FAIT, "eci_2.2": FAIT}, {"eci_1": override})
    assert s["eci_1.1"]["point_fait"] == 0.714
    assert s["eci_1.2"]["point_fait"] == 1.429
    assert s["eci_1"]["point_fait"] == 2.143
    assert s["eci"]["point_fait"] == 7.143
    assert s["eci"]["point_potentiel_perso"] == 100
