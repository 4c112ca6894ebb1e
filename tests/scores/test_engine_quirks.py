"""Quirks of the reference engine that the official numbers depend on (spec §2.4 and §7)."""

from __future__ import annotations

from jalon.regles.consequences import Consequence
from jalon.scores.engine import compute_scores
from jalon.scores.statuts import FAIT, NON_CONCERNE, NON_RENSEIGNE, Statut
from jalon.scores.tree import build_scoring_tree
from tests.scores.toy import EXAMPLE_POINTS, toy_referentiel

EXAMPLE = build_scoring_tree(toy_referentiel(EXAMPLE_POINTS, action_level=1))


def scores(statuts: dict[str, Statut], consequences: dict[str, Consequence] | None = None) -> dict:  # type: ignore[type-arg]
    return compute_scores(EXAMPLE, statuts, consequences or {}).as_dict()


def only(desactive: bool | None = None, potentiel_perso: float | None = None) -> Consequence:
    return Consequence(desactive=desactive, potentiel_perso=potentiel_perso, score_formule=None)


def test_double_shrink_rescales_children_that_already_sum_to_the_mesure_potentiel() -> None:
    """cae_3.1.2 of the spec: a désactivé sous-mesure reduced ×0.8, pool 1.6 shared by three."""
    tree = build_scoring_tree(
        toy_referentiel({"cae": 10, "cae_3": 10, "cae_3.1": 3, "cae_3.2": 2, "cae_3.3": 3, "cae_3.4": 2}, 1)
    )
    s = compute_scores(tree, {}, {"cae_3.2": only(True, 0.8)}).as_dict()
    assert s["cae_3"]["point_potentiel"] == 9.6
    assert [s[f"cae_3.{k}"]["point_potentiel"] for k in (1, 2, 3, 4)] == [3.392, 0, 3.392, 2.432]


def test_a_statut_without_avancement_blocks_the_non_concerne_propagation() -> None:
    s = scores(
        {
            "eci_2.2.1": NON_CONCERNE,
            "eci_2.2.2": NON_CONCERNE,
            "eci_2.2.3": NON_CONCERNE,
            "eci_2.2": NON_RENSEIGNE,
        }
    )
    node = s["eci_2.2"]
    assert node["point_potentiel"] == 5  # its own points: no redistribution to 2.1
    assert s["eci_2.1"]["point_potentiel"] == 65
    assert node["concerne"] is False  # yet scored from its children, all non concernés
    assert node["point_non_renseigne"] == 0


def test_a_desactive_mesure_counts_its_direct_leaf_children_only() -> None:
    s = scores({}, {"eci_2": only(desactive=True)})
    assert s["eci_2"]["total_taches_count"] == 1  # only eci_2.0 is a leaf child
    assert s["eci"]["total_taches_count"] == 2 + 1


def test_a_reduction_to_zero_reports_perso_zero_not_null() -> None:
    s = scores({}, {"eci_1": only(potentiel_perso=0.0)})
    assert s["eci_1"]["point_potentiel_perso"] == 0.0
    assert s["eci_1"]["point_potentiel_perso"] is not None
    assert s["eci"]["point_potentiel"] == 70


def test_a_desactive_node_reduced_to_zero_gives_nothing_to_its_siblings() -> None:
    given = scores({}, {"eci_2.2.1": only(desactive=True)})
    assert given["eci_2.2.2"]["point_potentiel"] == 2.5  # 1.5 + 2 / 2
    kept = scores({}, {"eci_2.2.1": only(desactive=True, potentiel_perso=0.0)})
    # Nothing is shared: 2.2 sums to 3 of its 5 points, eci_2 to 68 of 70; then both rescalings
    # shrink again (the double shrink): 3 / 70 * 68 for 2.2, and 1.5 / 5 * that for its tâches.
    assert kept["eci_2"]["point_potentiel"] == 68
    assert kept["eci_2.2"]["point_potentiel"] == round(3 / 70 * 68, 3)
    assert kept["eci_2.2.2"]["point_potentiel"] == round(1.5 / 5 * (3 / 70 * 68), 3) == 0.874


def test_a_sous_mesure_with_its_own_statut_ignores_its_taches() -> None:
    s = scores({"eci_2.2": FAIT, "eci_2.2.1": NON_CONCERNE})
    assert s["eci_2.2"]["point_fait"] == 5
    assert s["eci_2.2"]["fait_taches_avancement"] == 3.0
    assert s["eci_2.2.1"]["concerne"] is False


def test_renseigne_is_false_where_points_still_lack_a_statut() -> None:
    s = scores({"eci_1.1": FAIT})
    assert s["eci_1.1"]["renseigne"] is True
    assert s["eci_1.2"]["renseigne"] is False
    assert s["eci_1"]["renseigne"] is False
    done = scores({"eci_1.1": FAIT, "eci_1.2": Statut.detaille(0.2, 0.7, 0.1)})
    assert done["eci_1"]["renseigne"] is True
    assert (done["eci_1.2"]["point_fait"], done["eci_1.2"]["point_programme"]) == (4, 14)


def test_an_empty_consequence_still_reports_point_potentiel_perso() -> None:
    s = scores({}, {"eci_1.1": only()})
    assert s["eci_1.1"]["point_potentiel_perso"] == 10
    assert s["eci_1.2"]["point_potentiel_perso"] is None
