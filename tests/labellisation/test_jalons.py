"""Jalons on the official CAE: frozen from the engine's scores, compared per axe, mesure and sous-mesure.

The "after" state is the official scenario `propagation/cae_1.1.1.test.yml` (fixtures of ../shared), whose
expected scores for cae_1.1.1 (3,3 fait, 3,9 programmé out of 12) are the official engine's; "before" is the
same collectivité with no statut.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jalon
from jalon.evaluation import evaluate_state
from jalon.labellisation.jalons import (
    Genre,
    Jalon,
    StatutFige,
    comparer,
    evolution,
    figer,
    niveau,
    protection,
    renommer,
)
from jalon.scenarios import Scenario, evaluate_scenario, read_scenario
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut
from tests.conftest import FIXTURES, REFERENTIELS

LOADED = jalon.load(REFERENTIELS)
CAE = LOADED.referentiels["cae"]
ECI = LOADED.referentiels["eci"]
SCENARIO = read_scenario(FIXTURES / "propagation" / "cae_1.1.1.test.yml", LOADED)


def frozen(scenario: Scenario, nom: str, le: date, genre: Genre = Genre.LIBRE) -> Jalon:
    scores = evaluate_scenario(LOADED, scenario)
    return figer(CAE, scores, scenario.statuts, nom=nom, genre=genre, le=le, version="officiel")


AVANT = frozen(Scenario(identite=SCENARIO.identite), "avant", date(2026, 1, 10))
APRES = frozen(SCENARIO, "après", date(2026, 3, 10))


def test_a_jalon_keeps_every_node_of_the_referentiel_in_reading_order_with_its_scores() -> None:
    scores = evaluate_scenario(LOADED, SCENARIO)
    assert set(APRES.noeuds) == set(CAE.actions)  # the ECI nodes of the same evaluation are left out
    ids = list(APRES.noeuds)
    assert ids[:5] == ["cae", "cae_1", "cae_1.1", "cae_1.1.1", "cae_1.1.1.1"]
    assert ids.index("cae_1.1.1.7.3") < ids.index(
        "cae_1.1.2"
    )  # depth first: a mesure's subtree, then the next
    for action_id, node in APRES.noeuds.items():
        assert dict(node.scores) == scores[action_id]
        assert node.nom == CAE.actions[action_id].nom
    assert APRES.statuts["cae_1.1.1.7.2"] == StatutFige((0.5, 0.5, 0.0))
    assert set(APRES.statuts) == set(SCENARIO.statuts)


def test_the_official_numbers_of_the_scenario_are_what_the_comparison_shows() -> None:
    comparison = comparer(AVANT, APRES)
    lines = {n.action_id: n for n in comparison.noeuds}
    expected = SCENARIO.expected["cae_1.1.1"]
    mesure = lines["cae_1.1.1"]
    assert mesure.niveau == "mesure" and mesure.nom == CAE.actions["cae_1.1.1"].nom
    assert mesure.avant is not None and mesure.apres is not None
    assert (mesure.avant.fait, mesure.avant.programme, mesure.avant.potentiel) == (0.0, 0.0, 12.0)
    assert (mesure.apres.fait, mesure.apres.programme, mesure.apres.potentiel) == (
        expected["point_fait"],
        expected["point_programme"],
        expected["point_potentiel"],
    )
    # 3,3 / 12 = 27,5 % fait and 3,9 / 12 = 32,5 % programmé, from nothing.
    assert mesure.apres.pct_fait == pytest.approx(27.5) and mesure.ecart_pct_fait == pytest.approx(27.5)
    assert mesure.apres.pct_programme == pytest.approx(32.5)
    assert mesure.ecart_fait == pytest.approx(3.3) and mesure.ecart_programme == pytest.approx(3.9)
    assert mesure.ecart_potentiel == 0.0
    # Every ancestor gains the same points; the root's share is 3,3 over its potentiel.
    for ancestor in ("cae", "cae_1", "cae_1.1"):
        assert lines[ancestor].ecart_fait == pytest.approx(3.3)
    root = lines["cae"]
    assert root.niveau == "référentiel" and root.apres is not None
    assert root.ecart_pct_fait == pytest.approx(100 * 3.3 / root.apres.potentiel)


def test_only_nodes_above_the_taches_are_compared_and_only_the_changed_lineage_moves() -> None:
    comparison = comparer(AVANT, APRES)
    assert {n.niveau for n in comparison.noeuds} == {
        "référentiel",
        "axe",
        "sous-axe",
        "mesure",
        "sous-mesure",
    }
    assert len(comparison.noeuds) == sum(1 for a in CAE.actions.values() if a.depth <= CAE.action_level + 1)
    moved = {n.action_id for n in comparison.changements}
    assert {"cae", "cae_1", "cae_1.1", "cae_1.1.1", "cae_1.1.1.1", "cae_1.1.1.7"} <= moved
    # Statuts only in cae_1.1.1: nothing outside its ancestors and its subtree moves.
    assert all(
        action_id in ("cae", "cae_1", "cae_1.1")
        or action_id.startswith("cae_1.1.1.")
        or action_id == "cae_1.1.1"
        for action_id in moved
    )
    # A sous-mesure pas fait moves no fait nor programmé point.
    assert "cae_1.1.1.5" not in moved


def test_the_statuts_that_changed_are_listed_in_french_in_tree_order() -> None:
    comparison = comparer(AVANT, APRES)
    changed = {c.action_id: (c.avant.libelle, c.apres.libelle) for c in comparison.statuts}
    assert set(changed) == set(SCENARIO.statuts)
    assert changed["cae_1.1.1.7.2"] == (
        "non renseigné",
        "détaillé (50 % fait, 50 % programmé, 0 % pas fait)",
    )
    assert changed["cae_1.1.1.4.3"] == ("non renseigné", "non concerné")
    assert changed["cae_1.1.1.2"] == ("non renseigné", "programmé")
    assert changed["cae_1.1.1.5"] == ("non renseigné", "pas fait")
    order = [c.action_id for c in comparison.statuts]
    assert order == [i for i in APRES.noeuds if i in changed]
    # Backwards, the same changes the other way round.
    back = comparer(APRES, AVANT)
    assert {c.action_id: (c.apres.libelle, c.avant.libelle) for c in back.statuts} == changed
    assert all(b.ecart_fait == -a.ecart_fait for a, b in zip(comparison.noeuds, back.noeuds, strict=True))


def test_a_jalon_compared_with_itself_shows_no_change() -> None:
    comparison = comparer(APRES, APRES)
    assert comparison.changements == () and comparison.statuts == ()


def test_a_jalon_never_changes_after_it_is_frozen() -> None:
    scores = evaluate_scenario(LOADED, SCENARIO)
    statuts = dict(SCENARIO.statuts)
    fige = figer(CAE, scores, statuts, nom="j", genre=Genre.LIBRE, le=date(2026, 3, 1), version="v1")
    before = fige.noeuds["cae_1.1.1"].scores["point_fait"]
    scores["cae_1.1.1"]["point_fait"] = 99.0  # the caller's dicts change later
    statuts["cae_1.1.1.5"] = FAIT
    assert fige.noeuds["cae_1.1.1"].scores["point_fait"] == before == 3.3
    assert fige.statuts["cae_1.1.1.5"].libelle == "pas fait"
    with pytest.raises(TypeError):
        fige.noeuds["cae_1.1.1"].scores["point_fait"] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        del fige.noeuds["cae_1"]  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fige.nom = "autre"  # type: ignore[misc]


def test_only_a_free_jalon_is_renamed_or_deleted() -> None:
    assert protection(APRES) is None
    assert renommer(APRES, "  fin de mandat ").nom == "fin de mandat"
    pre = dataclasses.replace(APRES, genre=Genre.PRE_AUDIT)
    message = (
        "le jalon pré-audit du 10/03/2026 est fait par le parcours de labellisation : il ne peut être ni "
        "renommé ni supprimé."
    )
    assert protection(pre) == message
    with pytest.raises(ValueError) as caught:
        renommer(pre, "autre")
    assert str(caught.value) == f"nom : {message}"
    with pytest.raises(ValueError, match="nom : un jalon a besoin d'un nom"):
        renommer(APRES, "")


def test_jalons_of_two_versions_compare_with_the_missing_side_empty() -> None:
    # A later version without the sous-mesure cae_1.1.1.7 (and its tâches): as if re-imported.
    gone = {"cae_1.1.1.7", "cae_1.1.1.7.1", "cae_1.1.1.7.2", "cae_1.1.1.7.3"}
    later = dataclasses.replace(
        APRES,
        version="v2",
        noeuds=MappingProxyType({k: v for k, v in APRES.noeuds.items() if k not in gone}),
    )
    comparison = comparer(APRES, later)
    line = next(n for n in comparison.noeuds if n.action_id == "cae_1.1.1.7")
    assert line.apres is None and line.avant is not None and line.change
    assert line.ecart_fait == -line.avant.fait
    assert comparison.noeuds[-1].action_id == "cae_1.1.1.7"  # the removed node comes last


def test_jalons_of_two_referentiels_are_not_compared() -> None:
    eci = figer(
        ECI,
        evaluate_scenario(LOADED, SCENARIO),
        {},
        nom="e",
        genre=Genre.LIBRE,
        le=date(2026, 1, 1),
        version="v",
    )
    with pytest.raises(ValueError, match="attendu deux jalons du même référentiel"):
        comparer(APRES, eci)


def test_figer_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="nom : un jalon a besoin d'un nom"):
        figer(CAE, {}, {}, nom=" ", genre=Genre.LIBRE, le=date(2026, 1, 1), version="v")
    with pytest.raises(
        ValueError, match=r"scores : \d+ nœud\(s\) du référentiel cae sans scores, dont cae\."
    ):
        figer(CAE, {}, {}, nom="j", genre=Genre.LIBRE, le=date(2026, 1, 1), version="v")


def test_levels_follow_each_referentiel_depth_of_mesures() -> None:
    assert [niveau(CAE, CAE.actions[i].depth) for i in ("cae", "cae_1", "cae_1.1", "cae_1.1.1")] == [
        "référentiel",
        "axe",
        "sous-axe",
        "mesure",
    ]
    assert niveau(CAE, CAE.actions["cae_1.1.1.1"].depth) == "sous-mesure"
    assert niveau(CAE, CAE.actions["cae_1.1.1.1.1"].depth) == "tâche"
    assert niveau(ECI, ECI.actions["eci_1.1"].depth) == "mesure"  # ECI has no sous-axe
    assert niveau(ECI, ECI.actions["eci_1.1.1"].depth) == "sous-mesure"


def test_the_root_score_over_the_jalons_is_in_date_order() -> None:
    pre = dataclasses.replace(APRES, nom="pré-audit", genre=Genre.PRE_AUDIT, le=date(2026, 4, 1))
    points = evolution([pre, APRES, AVANT])
    assert [p.nom for p in points] == ["avant", "après", "pré-audit"]
    assert points[0].pct_fait == 0.0
    assert points[1].pct_fait == pytest.approx(100 * APRES.fait) and points[1].pct_fait > 0


# -- properties, on the demo (fast to evaluate) -----------------------------------------------------------

DEMO = jalon.load()
DEMO_CAE = DEMO.referentiels["cae"]
DEMO_IDS = sorted(DEMO_CAE.actions)
statut = st.sampled_from([FAIT, PROGRAMME, PAS_FAIT, NON_CONCERNE, Statut.detaille(0.5, 0.25, 0.25)])
statuts = st.dictionaries(st.sampled_from(DEMO_IDS), statut, max_size=12)


def demo_jalon(chosen: dict[str, Statut], le: date) -> Jalon:
    scores = evaluate_state(DEMO, {"type": frozenset({"EPCI"})}, {}, chosen)
    return figer(DEMO_CAE, scores, chosen, nom=str(le), genre=Genre.LIBRE, le=le, version="démo")


@settings(max_examples=60, deadline=None)
@given(statuts, statuts)
def test_a_comparison_is_the_difference_of_the_two_frozen_states(
    first: dict[str, Statut], second: dict[str, Statut]
) -> None:
    avant, apres = demo_jalon(first, date(2026, 1, 1)), demo_jalon(second, date(2026, 2, 1))
    comparison = comparer(avant, apres)
    for line in comparison.noeuds:
        before, after = avant.noeuds[line.action_id], apres.noeuds[line.action_id]
        assert line.ecart_fait == after.nombre("point_fait") - before.nombre("point_fait")
        assert line.ecart_programme == after.nombre("point_programme") - before.nombre("point_programme")
        assert line.change == any(
            before.nombre(f) != after.nombre(f) for f in ("point_fait", "point_programme", "point_potentiel")
        )
    changed = {c.action_id for c in comparison.statuts}
    assert changed == {i for i in set(first) | set(second) if first.get(i) != second.get(i)}
    assert comparer(apres, apres).changements == () and comparer(apres, apres).statuts == ()
