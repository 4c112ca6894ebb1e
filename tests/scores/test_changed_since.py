"""``Scores.changed_since``: the nodes a store must rewrite, exactly, on the real CAE and ECI."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jalon.evaluation import consequences_for, scoring_tree
from jalon.scores.engine import compute_scores
from jalon.scores.statuts import FAIT, Statut
from tests.scores.real import official
from tests.scores.test_incremental import IDENTITES, STATUTS, _answers, _statut_targets


def _check(referentiel_id: str, data: st.DataObject) -> None:
    loaded = official()
    tree = scoring_tree(loaded.referentiels[referentiel_id])
    targets = _statut_targets(referentiel_id)
    identite = data.draw(IDENTITES)
    answers = data.draw(_answers())
    statuts: dict[str, Statut] = {
        k: v
        for k, v in data.draw(st.dictionaries(st.sampled_from(targets), STATUTS, max_size=60)).items()
        if v
    }
    before = compute_scores(tree, statuts, consequences_for(loaded, identite, answers))
    # A few statut changes, and sometimes new answers or a new identity.
    for _ in range(data.draw(st.integers(1, 4))):
        action_id = data.draw(st.sampled_from(targets))
        statut = data.draw(STATUTS)
        if statut is None:
            statuts.pop(action_id, None)
        else:
            statuts[action_id] = statut
    if data.draw(st.booleans()):
        answers = data.draw(_answers())
    if data.draw(st.booleans()):
        identite = data.draw(IDENTITES)
    after = compute_scores(tree, statuts, consequences_for(loaded, identite, answers))

    changed = after.changed_since(before)
    old, new = before.as_dict(), after.as_dict()
    assert changed == {a: new[a] for a in new if new[a] != old[a]}
    assert {**old, **changed} == new


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_changed_since_is_exactly_the_nodes_whose_rounded_scores_moved_on_cae(data: st.DataObject) -> None:
    _check("cae", data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_changed_since_is_exactly_the_nodes_whose_rounded_scores_moved_on_eci(data: st.DataObject) -> None:
    _check("eci", data)


def test_one_statut_changes_its_node_and_ancestors_only() -> None:
    tree = scoring_tree(official().referentiels["cae"])
    before = compute_scores(tree, {}, {})
    after = compute_scores(tree, {"cae_6.1.1.1.1": FAIT}, {})
    changed = after.changed_since(before)
    assert "cae_6.1.1.1.1" in changed and "cae" in changed
    assert set(changed) <= {"cae_6.1.1.1.1", "cae_6.1.1.1", "cae_6.1.1", "cae_6.1", "cae_6", "cae"}
    assert after.changed_since(after) == {}
