"""The demande's conditions in the checklist: the ones the state tells, and the ones the web will pass."""

from __future__ import annotations

import jalon
from jalon.evaluation import evaluate_state
from jalon.labellisation.checklist import Checklist, checklist
from jalon.scores.statuts import FAIT, PAS_FAIT, PROGRAMME, Statut

LOADED = jalon.load()
CAE = LOADED.referentiels["cae"]
EPCI = {"type": frozenset({"EPCI"})}
SOUS_MESURES = [a.id for a in CAE.actions.values() if a.depth == CAE.action_level + 1]


def of(statuts: dict[str, Statut], **given: object) -> Checklist:
    return checklist(LOADED, "cae", evaluate_state(LOADED, EPCI, {}, statuts), statuts, **given)  # type: ignore[arg-type]


def codes(found: Checklist) -> dict[str, bool | None]:
    return {c.code: c.atteint for c in found.conditions}


def test_document_and_pilotes_are_unknown_until_given_and_then_decide() -> None:
    everything = dict.fromkeys(SOUS_MESURES, FAIT)
    found = of(everything)
    assert found.etoile_cible == 5 and found.audit
    assert codes(found) == {
        "completude": True,
        "criteres": True,
        "etoile_audit": True,
        "document": None,
        "pilotes": None,
    }
    assert not found.demandable()  # unknown is never met
    assert not of(everything, document=True, pilotes={"cae_6.1.2.1.1"}).demandable()  # one pilote missing
    assert of(everything, document=True, pilotes={"cae_6.1.2.1.1", "cae_6.1.1.1.2"}).demandable()


def test_the_first_star_needs_no_audit_so_neither_the_audit_star_nor_pilotes() -> None:
    # Every tâche pas fait: complétude 100 %, 0 % fait, target 1re étoile; its criteria unmet.
    statuts = {a.id: PAS_FAIT for a in CAE.actions.values() if a.is_leaf}
    found = of(statuts, document=True)
    assert found.etoile_cible == 1 and not found.audit
    assert codes(found)["etoile_audit"] is False and codes(found)["completude"] is True
    assert codes(found)["criteres"] is False and not found.demandable()
    assert all(not c.atteint for c in found.criteres)


def test_a_first_star_with_its_criteria_met_can_be_requested_without_pilotes() -> None:
    statuts = {a.id: PAS_FAIT for a in CAE.actions.values() if a.is_leaf}
    statuts.update(
        {"cae_6.1.2.1.1": FAIT, "cae_6.1.1.1": FAIT, "cae_6.1.1.2": PROGRAMME, "cae_6.1.1.4": FAIT}
    )
    found = of(statuts, document=True)  # pilotes not given
    assert found.etoile_score == 1 and all(c.atteint for c in found.criteres)
    assert codes(found)["pilotes"] is None
    assert found.demandable()
    assert not of(statuts).demandable()  # the document is needed for every star
