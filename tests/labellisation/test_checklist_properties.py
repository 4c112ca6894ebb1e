"""Properties of the checklist on the demo, for random statuts: the rules of the criteria file's header."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import jalon
from jalon.evaluation import evaluate_state
from jalon.labellisation.checklist import checklist, critere_atteint, criteres_de_l_etoile, ratios
from jalon.labellisation.etoiles import etoile_score
from jalon.referentiel.model import Critere, Source
from jalon.scores.statuts import FAIT, NON_CONCERNE, NON_RENSEIGNE, PAS_FAIT, PROGRAMME, Statut

LOADED = jalon.load()
assert LOADED.criteres is not None
RULES = LOADED.criteres
CAE = LOADED.referentiels["cae"]
IDS = sorted(CAE.actions)
SEUILS = st.lists(st.floats(0, 1), min_size=1, max_size=5, unique=True).map(sorted).map(tuple)

statut = st.one_of(
    st.sampled_from([FAIT, PROGRAMME, PAS_FAIT, NON_CONCERNE, NON_RENSEIGNE]),
    st.tuples(st.integers(0, 10), st.integers(0, 10))
    .filter(lambda t: t[0] + t[1] <= 10)
    .map(lambda t: Statut.detaille(t[0] / 10, t[1] / 10, (10 - t[0] - t[1]) / 10)),
)
statuts = st.dictionaries(st.sampled_from(IDS), statut, max_size=25)
identite = st.sampled_from(["commune", "EPCI"]).map(lambda t: {"type": frozenset({t})})


@settings(max_examples=60, deadline=None)
@given(identite, statuts)
def test_each_criterion_is_met_exactly_when_its_ratios_pass_the_rule(
    ident: dict[str, frozenset[str]], chosen: dict[str, Statut]
) -> None:
    scores = evaluate_state(LOADED, ident, {}, chosen)
    found = checklist(LOADED, "cae", scores, chosen)
    for evaluated in found.criteres:
        assert (evaluated.fait, evaluated.programme) == ratios(scores[evaluated.ratios_de])
        c = evaluated.critere
        rule = evaluated.fait >= c.min_fait - 1e-9 or (
            c.min_fait_programme is not None
            and evaluated.fait + evaluated.programme >= c.min_fait_programme - 1e-9
        )
        assert evaluated.atteint == rule
        # The sous-mesure's ratios only for a tâche whose sous-mesure has a concerné statut with avancement.
        if evaluated.ratios_de != c.action_id:
            parent = CAE.actions[c.action_id].parent
            assert evaluated.ratios_de == parent
            assert chosen[parent].avancement is not None and chosen[parent].concerne


@settings(max_examples=60, deadline=None)
@given(identite, statuts)
def test_the_criteria_are_those_of_the_target_star_one_per_action_without_the_desactives(
    ident: dict[str, frozenset[str]], chosen: dict[str, Statut]
) -> None:
    scores = evaluate_state(LOADED, ident, {}, chosen)
    found = checklist(LOADED, "cae", scores, chosen)
    assert found.etoile_cible == max(1, found.etoile_score)
    every = RULES.criteres["cae"]
    expected: dict[str, int] = {}
    for c in every:
        if c.etoile <= found.etoile_cible and not scores[c.action_id]["desactive"]:
            if c.action_id not in expected or c.etoile > expected[c.action_id]:
                expected[c.action_id] = c.etoile
    assert {e.action_id: e.critere.etoile for e in found.criteres} == expected
    assert len(found.criteres) == len(expected)  # one per action


@settings(max_examples=60, deadline=None)
@given(identite, statuts)
def test_completude_is_whole_exactly_when_the_engine_counts_every_tache_completed(
    ident: dict[str, frozenset[str]], chosen: dict[str, Statut]
) -> None:
    scores = evaluate_state(LOADED, ident, {}, chosen)
    found = checklist(LOADED, "cae", scores, chosen)
    root = scores["cae"]
    assert (found.completude == 1.0) == (root["completed_taches_count"] == root["total_taches_count"])
    assert found.taches == sum(1 for a in CAE.actions.values() if a.is_leaf)


def test_a_state_with_every_tache_filled_is_complete() -> None:
    chosen = {a.id: PAS_FAIT for a in CAE.actions.values() if a.is_leaf}
    scores = evaluate_state(LOADED, {"type": frozenset({"EPCI"})}, {}, chosen)
    assert checklist(LOADED, "cae", scores, chosen).completude == 1.0


@given(SEUILS, st.floats(0, 1), st.floats(0, 1))
def test_etoile_score_never_drops_when_fait_grows(seuils: tuple[float, ...], a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert etoile_score(low, seuils) <= etoile_score(high, seuils)


@given(SEUILS, st.floats(0, 1))
def test_etoile_score_is_the_highest_star_whose_threshold_is_reached(
    seuils: tuple[float, ...], fait: float
) -> None:
    star = etoile_score(fait, seuils)
    assert all(fait >= seuil for seuil in seuils[:star])
    assert star == len(seuils) or fait < seuils[star]


@given(
    st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["a", "b", "c"])), max_size=12, unique=True),
    st.integers(1, 5),
)
def test_each_action_keeps_the_criterion_of_its_highest_star_not_above_the_target(
    rows: list[tuple[int, str]], cible: int
) -> None:
    criteres = [Critere(star, action, "", 1.0, None, Source("f", 1)) for star, action in rows]
    chosen = criteres_de_l_etoile(criteres, cible)
    for action in {action for _, action in rows}:
        stars = [star for star, a in rows if a == action and star <= cible]
        kept = [c.etoile for c in chosen if c.action_id == action]
        assert kept == ([max(stars)] if stars else [])


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.none() | st.floats(0, 1))
def test_a_criterion_with_a_programme_minimum_is_met_by_fait_plus_programme(
    fait: float, programme: float, min_fait: float, min_fait_programme: float | None
) -> None:
    c = Critere(1, "a", "", min_fait, min_fait_programme, Source("f", 1))
    met = critere_atteint(c, fait, programme)
    assert met >= (fait >= min_fait)  # fait alone enough
    if min_fait_programme is None:
        assert met == (fait >= min_fait - 1e-9)
    else:
        assert met == (fait >= min_fait - 1e-9 or fait + programme >= min_fait_programme - 1e-9)
