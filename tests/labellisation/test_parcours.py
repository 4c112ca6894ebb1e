"""The parcours de labellisation, transition by transition, on the official CAE and criteria file: each
allowed one, and each refused one with the French message that names what is missing."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest

import jalon
from jalon.evaluation import evaluate_state
from jalon.labellisation.checklist import Checklist, checklist
from jalon.labellisation.jalons import Genre, Jalon, figer
from jalon.labellisation.parcours import (
    TRANSITIONS,
    Acteur,
    AffecterAuditeur,
    AuditerMesure,
    Decider,
    Demander,
    DemarrerAudit,
    Etat,
    JoindreRapport,
    NouveauCycle,
    Parcours,
    RetirerAuditeur,
    StatutAudit,
    Sujet,
    TransitionRefusee,
    ValiderAudit,
    actions_possibles,
    fin_validite,
    incoherences,
    label_en_vigueur,
    transition,
    verrou,
)
from jalon.scores.statuts import FAIT, PAS_FAIT, PROGRAMME, Statut
from tests.conftest import REFERENTIELS, SHARED

LOADED = jalon.load(REFERENTIELS, criteres=SHARED / "labellisation" / "criteres.yml")
assert LOADED.criteres is not None
REGLES = LOADED.criteres
CAE = LOADED.referentiels["cae"]
EPCI = {"type": frozenset({"EPCI"})}
LEAVES = [a.id for a in CAE.actions.values() if a.is_leaf]
PILOTES = frozenset({"cae_5.1.2.1.1", "cae_5.1.1.1.3"})
CRITERES_1 = ["cae_5.1.2.1.1", "cae_5.1.1.1.3", "cae_5.1.1.3.2", "cae_1.1.2.0.1", "cae_1.1.2.0.2"]

ADMIN = Acteur("u-admin", frozenset({"admin"}))
EDITION = Acteur("u-edition", frozenset({"edition"}))
LECTURE = Acteur("u-lecture", frozenset({"lecture"}))
CONSEILLER = Acteur("u-conseiller", frozenset({"conseiller"}))
STAFF = Acteur("u-staff", frozenset({"staff"}))
AUDITRICE = Acteur("u-auditrice", frozenset())  # assigned, not a member
AUTRE_AUDITEUR = Acteur("u-auditeur", frozenset({"auditeur"}))  # a member with the role, not assigned

JOUR = date(2026, 3, 2)


def state_etoile_2(**changes: Statut) -> dict[str, Statut]:
    """Every tâche renseignée: axes 4 and 6 and the criteria's actions fait, the rest pas fait (39,87 %)."""
    statuts = dict.fromkeys(LEAVES, PAS_FAIT)
    for action_id in LEAVES:
        if action_id.startswith(("cae_4.", "cae_6.", "cae_1.1.2.1.")):
            statuts[action_id] = FAIT
    statuts.update(dict.fromkeys([*CRITERES_1, "cae_1.1.1.1.1"], FAIT))
    statuts.update(changes)
    return statuts


def state_etoile_1() -> dict[str, Statut]:
    """Only the 1st star's criteria met: a few points fait."""
    statuts = dict.fromkeys(LEAVES, PAS_FAIT)
    for action_id in LEAVES:
        if action_id.startswith("cae_1.1.2.1."):
            statuts[action_id] = FAIT
    statuts.update(dict.fromkeys(CRITERES_1, FAIT))
    return statuts


def check(statuts: dict[str, Statut], **given: object) -> Checklist:
    scores = evaluate_state(LOADED, EPCI, {}, statuts)
    return checklist(LOADED, "cae", scores, statuts, **given)  # type: ignore[arg-type]


def jalon_of(statuts: dict[str, Statut], genre: Genre, le: date, nom: str = "") -> Jalon:
    scores = evaluate_state(LOADED, EPCI, {}, statuts)
    return figer(CAE, scores, statuts, nom=nom or genre.value, genre=genre, le=le, version="officiel")


CHECK_2 = check(state_etoile_2(), document=True, pilotes=PILOTES)
NEW = Parcours("coll-1", "cae")


def go(parcours: Parcours, action: object, acteur: Acteur, le: date = JOUR) -> Parcours:
    after = transition(parcours, action, acteur=acteur, le=le, regles=REGLES)  # type: ignore[arg-type]
    assert incoherences(after) == ()
    return after


def refused(parcours: Parcours, action: object, acteur: Acteur, le: date = JOUR) -> TransitionRefusee:
    with pytest.raises(TransitionRefusee) as caught:
        transition(parcours, action, acteur=acteur, le=le, regles=REGLES)  # type: ignore[arg-type]
    return caught.value


def sent(etoile: int = 2) -> Parcours:
    return go(NEW, Demander(etoile, Sujet.LABELLISATION, CHECK_2), ADMIN)


def started() -> Parcours:
    parcours = go(sent(), AffecterAuditeur(AUDITRICE.identifiant), STAFF)
    pre = jalon_of(state_etoile_2(), Genre.PRE_AUDIT, date(2026, 4, 1))
    return go(parcours, DemarrerAudit(pre), AUDITRICE, date(2026, 4, 1))


def validated(statuts: dict[str, Statut] | None = None) -> Parcours:
    post = jalon_of(statuts or state_etoile_2(), Genre.POST_AUDIT, date(2026, 5, 4))
    return go(started(), ValiderAudit(post), AUDITRICE, date(2026, 5, 4))


# -- demander --------------------------------------------------------------------------------------------


def test_the_checklist_of_the_fixture_allows_the_second_star() -> None:
    assert CHECK_2.etoile_score == 2 and CHECK_2.fait == pytest.approx(0.3987) and CHECK_2.demandable()


def test_an_admin_or_editor_sends_a_demande_that_the_checklist_allows() -> None:
    for acteur in (ADMIN, EDITION):
        parcours = go(NEW, Demander(2, Sujet.LABELLISATION, CHECK_2), acteur)
        assert parcours.etat is Etat.DEMANDE_ENVOYEE
        demande = parcours.demande
        assert demande is not None
        assert (demande.etoile, demande.sujet, demande.envoyee_le, demande.par) == (
            2,
            Sujet.LABELLISATION,
            JOUR,
            acteur.identifiant,
        )
        assert demande.audit_requis  # the 2nd star, per etoile_min_audit: 2


@pytest.mark.parametrize("acteur", [LECTURE, CONSEILLER, STAFF, AUTRE_AUDITEUR])
def test_other_roles_cannot_send_the_demande(acteur: Acteur) -> None:
    error = refused(NEW, Demander(2, Sujet.LABELLISATION, CHECK_2), acteur)
    assert error.motif == "role"
    assert error.message == (
        "Demander la labellisation ou l'audit : réservé à un membre admin ou un membre en édition."
    )


def test_a_star_above_what_the_score_allows_is_refused_with_the_score() -> None:
    error = refused(NEW, Demander(3, Sujet.LABELLISATION, CHECK_2), ADMIN)
    assert error.motif == "condition"
    assert error.message == (
        "Demande de la 3e étoile refusée : le score (39,9 % fait) permet au plus la 2e étoile."
    )
    assert error.manquants == ("50 % fait au moins",)


def test_an_unmet_criterion_is_named_with_its_numbers() -> None:
    found = check(state_etoile_2(**{"cae_1.1.2.0.2": PROGRAMME}), document=True, pilotes=PILOTES)
    error = refused(NEW, Demander(2, Sujet.LABELLISATION, found), ADMIN)
    assert error.message == (
        "Demande de la 2e étoile refusée : il manque : critère « Conformité BEGES faite » "
        "(cae_1.1.2.0.2 : 0 % fait, 100 % programmé ; attendu 100 % fait)."
    )


def test_the_document_pilotes_and_completude_are_named_when_missing() -> None:
    statuts = state_etoile_2()
    del statuts["cae_2.1.1.1.1"]  # one tâche non renseignée
    found = check(statuts, document=False)  # pilotes unknown
    error = refused(NEW, Demander(2, Sujet.LABELLISATION, found), ADMIN)
    assert error.manquants == (
        "Complétude d'au moins 100 % (1110 tâches renseignées sur 1111)",
        "Acte d'engagement signé incluant le règlement du label",
        "Des pilotes nommés sur cae_5.1.2.1.1, cae_5.1.1.1.3 (non renseigné)",
    )
    assert error.message.startswith("Demande de la 2e étoile refusée : il manque : Complétude")


def test_the_first_star_needs_no_pilotes_and_no_audit_but_the_document() -> None:
    found = check(state_etoile_1(), document=True)
    assert found.etoile_score == 1
    parcours = go(NEW, Demander(1, Sujet.LABELLISATION, found), EDITION)
    assert parcours.demande is not None and not parcours.demande.audit_requis
    without = check(state_etoile_1())
    error = refused(NEW, Demander(1, Sujet.LABELLISATION, without), EDITION)
    assert error.manquants == ("Acte d'engagement signé incluant le règlement du label (non renseigné)",)


def test_a_demande_carries_a_star_of_the_file() -> None:
    for etoile in (None, 0, 6):
        error = refused(NEW, Demander(etoile, Sujet.LABELLISATION, CHECK_2), ADMIN)
        assert error.motif == "donnee"
        assert error.message == f"Demande refusée : etoile : attendu une étoile de 1 à 5, trouvé {etoile!r}."


def test_a_second_demande_while_one_is_sent_is_refused_by_state() -> None:
    error = refused(sent(), Demander(2, Sujet.LABELLISATION, CHECK_2), ADMIN)
    assert error.motif == "etat"
    assert error.message == (
        "Demander la labellisation ou l'audit : impossible quand le parcours est « demande envoyée » "
        "(attendu : non demandée)."
    )


def test_a_checklist_of_another_referentiel_is_refused() -> None:
    error = refused(Parcours("coll-1", "eci"), Demander(2, Sujet.LABELLISATION, CHECK_2), ADMIN)
    assert error.motif == "donnee" and "checklist du référentiel cae, attendu eci" in error.message


def test_an_audit_only_is_for_a_cot_collectivite_without_star() -> None:
    error = refused(NEW, Demander(None, Sujet.COT, CHECK_2), ADMIN)
    assert error.message == "Demande refusée : un audit seul est réservé aux collectivités en COT."
    error = refused(NEW, Demander(2, Sujet.COT, CHECK_2, cot=True), ADMIN)
    assert error.message == "Demande refusée : etoile : un audit seul (COT) ne demande pas d'étoile."
    # Its conditions: complétude, document and pilotes; not the criteria.
    unmet = check(state_etoile_2(**{"cae_1.1.2.0.2": PROGRAMME}), document=True, pilotes=PILOTES)
    parcours = go(NEW, Demander(None, Sujet.COT, unmet, cot=True), ADMIN)
    assert parcours.demande is not None and parcours.demande.audit_requis


# -- auditors and the audit ------------------------------------------------------------------------------


def test_staff_assigns_and_removes_auditors_of_a_demande_with_audit() -> None:
    parcours = go(sent(), AffecterAuditeur("a1"), STAFF)
    parcours = go(parcours, AffecterAuditeur("a2"), STAFF)
    assert parcours.audit.auditeurs == {"a1", "a2"} and parcours.etat is Etat.DEMANDE_ENVOYEE
    assert go(parcours, RetirerAuditeur("a1"), STAFF).audit.auditeurs == {"a2"}
    assert (
        refused(parcours, AffecterAuditeur("a1"), STAFF).message
        == "Affecter un auditeur : a1 est déjà affecté."
    )
    assert refused(parcours, AffecterAuditeur("a3"), ADMIN).motif == "role"


def test_no_auditor_for_a_first_star() -> None:
    parcours = go(NEW, Demander(1, Sujet.LABELLISATION, check(state_etoile_1(), document=True)), ADMIN)
    error = refused(parcours, AffecterAuditeur("a1"), STAFF)
    assert error.message == "Affecter un auditeur : cette demande est traitée sans audit."


def test_an_assigned_auditor_starts_the_audit_with_the_pre_audit_jalon() -> None:
    parcours = started()
    assert parcours.etat is Etat.AUDIT_EN_COURS and parcours.audit.debut == date(2026, 4, 1)
    pre = parcours.audit.pre_audit
    assert pre is not None and pre.genre is Genre.PRE_AUDIT and pre.fait == pytest.approx(0.3987)


def test_only_an_assigned_auditor_starts_the_audit() -> None:
    parcours = go(sent(), AffecterAuditeur(AUDITRICE.identifiant), STAFF)
    pre = jalon_of(state_etoile_2(), Genre.PRE_AUDIT, JOUR)
    for acteur in (AUTRE_AUDITEUR, ADMIN, STAFF):
        error = refused(parcours, DemarrerAudit(pre), acteur)
        assert error.motif == "role"
        assert error.message == "Démarrer l'audit : réservé à un auditeur affecté à ce parcours."


def test_the_audit_starts_with_a_pre_audit_jalon_of_that_day() -> None:
    parcours = go(sent(), AffecterAuditeur(AUDITRICE.identifiant), STAFF)
    libre = jalon_of(state_etoile_2(), Genre.LIBRE, JOUR, "mon jalon")
    error = refused(parcours, DemarrerAudit(libre), AUDITRICE)
    assert error.motif == "donnee"
    assert error.message == (
        "Démarrer l'audit : jalon : attendu le jalon pre_audit du référentiel cae figé le 02/03/2026, "
        "trouvé « mon jalon » (libre, cae, 02/03/2026)."
    )
    hier = jalon_of(state_etoile_2(), Genre.PRE_AUDIT, date(2026, 3, 1))
    error = refused(parcours, DemarrerAudit(hier), AUDITRICE, date(2026, 3, 1))
    assert error.motif == "date"
    assert error.message == (
        "Démarrer l'audit : date du 01/03/2026 antérieure à la dernière étape du parcours (02/03/2026)."
    )


def test_during_the_audit_only_its_auditors_write() -> None:
    assert verrou(sent()) is None
    lock = verrou(started())
    assert lock is not None and lock.auteurs == {AUDITRICE.identifiant}
    assert lock.motif == (
        "Audit en cours depuis le 01/04/2026 : seuls les auditeurs affectés modifient les statuts, "
        "explications et réponses de ce référentiel."
    )
    assert verrou(validated()) is None


def test_the_last_auditor_of_an_audit_en_cours_cannot_be_removed() -> None:
    error = refused(started(), RetirerAuditeur(AUDITRICE.identifiant), STAFF, date(2026, 4, 2))
    assert error.manquants == ("un autre auditeur affecté",)


def test_the_auditor_notes_each_mesure() -> None:
    parcours = go(
        started(),
        AuditerMesure("cae_1.1.1", StatutAudit.AUDITE, "Délibération vue.", ordre_du_jour=True),
        AUDITRICE,
        date(2026, 4, 2),
    )
    note = parcours.audit.mesures["cae_1.1.1"]
    assert (note.statut, note.avis, note.ordre_du_jour) == (StatutAudit.AUDITE, "Délibération vue.", True)
    with pytest.raises(TypeError):
        parcours.audit.mesures["cae_1.1.2"] = note  # type: ignore[index]
    error = refused(parcours, AuditerMesure("cae_1.1.1.1", StatutAudit.EN_COURS), AUDITRICE, date(2026, 4, 2))
    assert (
        error.message
        == "Auditer une mesure : mesure : 'cae_1.1.1.1' n'est pas une mesure du référentiel cae."
    )
    assert refused(parcours, AuditerMesure("cae_1.1.1", StatutAudit.EN_COURS), ADMIN).motif == "role"


def test_the_report_is_a_link_until_fifteen_days_after_validation() -> None:
    parcours = go(validated(), JoindreRapport("https://exemple.fr/rapport.pdf"), AUDITRICE, date(2026, 5, 19))
    assert parcours.audit.rapport == "https://exemple.fr/rapport.pdf"
    late = refused(validated(), JoindreRapport("https://exemple.fr/r.pdf"), AUDITRICE, date(2026, 5, 20))
    assert late.message == (
        "Joindre le rapport d'audit : le rapport se joint jusqu'à 15 jours après la validation de l'audit "
        "(04/05/2026), soit le 19/05/2026 au plus tard."
    )
    bad = refused(started(), JoindreRapport("rapport.pdf"), AUDITRICE, date(2026, 4, 2))
    assert (
        bad.message
        == "Joindre le rapport d'audit : lien : attendu une adresse https://…, trouvé 'rapport.pdf'."
    )


def test_validation_freezes_the_post_audit_jalon() -> None:
    parcours = validated()
    assert parcours.etat is Etat.AUDIT_VALIDE and parcours.audit.fin == date(2026, 5, 4)
    post = parcours.audit.post_audit
    assert post is not None and post.genre is Genre.POST_AUDIT
    assert parcours.audit.pre_audit is not None and parcours.audit.pre_audit.genre is Genre.PRE_AUDIT


# -- the commission --------------------------------------------------------------------------------------


def test_the_label_is_the_star_of_the_post_audit_score_valid_four_years() -> None:
    parcours = go(validated(), Decider(obtenu=True), STAFF, date(2026, 6, 15))
    assert parcours.etat is Etat.LABELLISEE
    assert parcours.decision is not None and parcours.decision.par == STAFF.identifiant
    (label,) = parcours.labels
    assert (label.etoile, label.obtenu_le, label.fin_validite) == (2, date(2026, 6, 15), date(2030, 6, 15))
    assert (label.pct_fait, label.pct_programme) == (39.9, 0.0)  # 39,87 % to one decimal
    assert label_en_vigueur(parcours, date(2030, 6, 14)) == label
    assert label_en_vigueur(parcours, date(2030, 6, 15)) is None


def test_an_audit_that_lowers_the_score_gives_the_star_it_reaches() -> None:
    lowered = state_etoile_2(**dict.fromkeys([i for i in LEAVES if i.startswith("cae_6.")], PAS_FAIT))
    parcours = go(validated(lowered), Decider(obtenu=True), STAFF, date(2026, 6, 15))
    assert parcours.labels[-1].etoile == 1 and parcours.labels[-1].pct_fait == 19.9


def test_a_star_that_needs_an_audit_cannot_be_decided_without_one() -> None:
    error = refused(sent(), Decider(obtenu=True), STAFF)
    assert error.motif == "condition"
    assert error.message == (
        "Enregistrer la décision de la commission : la 2e étoile s'obtient après un audit validé ; "
        "l'audit n'a pas eu lieu."
    )


def test_only_staff_decides() -> None:
    for acteur in (ADMIN, AUDITRICE, EDITION):
        assert refused(validated(), Decider(obtenu=True), acteur, date(2026, 6, 1)).motif == "role"


def test_a_first_star_is_decided_on_the_state_judged_without_audit() -> None:
    found = check(state_etoile_1(), document=True)
    parcours = go(NEW, Demander(1, Sujet.LABELLISATION, found), ADMIN)
    error = refused(parcours, Decider(obtenu=True), STAFF, date(2026, 3, 4))
    assert error.message == (
        "Enregistrer la décision de la commission : jalon : sans audit, attendu le jalon du référentiel cae "
        "jugé par la commission."
    )
    judged = jalon_of(state_etoile_1(), Genre.LIBRE, date(2026, 3, 4), "décision 1re étoile")
    parcours = go(parcours, Decider(obtenu=True, jalon=judged), STAFF, date(2026, 3, 4))
    assert parcours.labels[-1].etoile == 1
    assert parcours.labels[-1].pct_fait == round(100 * judged.fait, 1)


def test_a_refusal_ends_the_cycle_without_label_and_a_new_cycle_starts_empty() -> None:
    parcours = go(validated(), Decider(obtenu=False), STAFF, date(2026, 6, 15))
    assert parcours.etat is Etat.REFUSEE and parcours.labels == ()
    parcours = go(parcours, NouveauCycle(), ADMIN, date(2026, 6, 16))
    assert parcours == Parcours("coll-1", "cae", cycle=2, maj_le=date(2026, 6, 16))


def test_the_same_star_cannot_be_requested_again_within_four_years() -> None:
    parcours = go(validated(), Decider(obtenu=True), STAFF, date(2026, 6, 15))
    parcours = go(parcours, NouveauCycle(), EDITION, date(2027, 1, 4))
    assert parcours.etat is Etat.NON_DEMANDEE and parcours.labels and parcours.demande is None
    error = refused(parcours, Demander(2, Sujet.LABELLISATION, CHECK_2), ADMIN, date(2030, 6, 14))
    assert error.message == (
        "Demande de la 2e étoile refusée : elle a été obtenue le 15/06/2026 et reste valable jusqu'au "
        "14/06/2030 inclus."
    )
    again = go(parcours, Demander(2, Sujet.LABELLISATION, CHECK_2), ADMIN, date(2030, 6, 15))
    assert again.etat is Etat.DEMANDE_ENVOYEE and again.cycle == 2


def test_a_labellisation_awaits_the_commission_before_a_new_cycle_but_a_cot_audit_does_not() -> None:
    error = refused(validated(), NouveauCycle(), ADMIN, date(2026, 6, 1))
    assert error.message == (
        "Commencer un nouveau cycle : la labellisation attend la décision de la commission."
    )
    parcours = go(NEW, Demander(None, Sujet.COT, CHECK_2, cot=True), ADMIN)
    parcours = go(parcours, AffecterAuditeur("a1"), STAFF)
    parcours = go(
        parcours, DemarrerAudit(jalon_of(state_etoile_2(), Genre.PRE_AUDIT, JOUR)), Acteur("a1", frozenset())
    )
    post = jalon_of(state_etoile_2(), Genre.POST_AUDIT, JOUR)
    parcours = go(parcours, ValiderAudit(post), Acteur("a1", frozenset()))
    error = refused(parcours, Decider(obtenu=True), STAFF)
    assert error.message == (
        "Enregistrer la décision de la commission : un audit seul (COT) ne passe pas en commission ; "
        "commencer un nouveau cycle."
    )
    assert go(parcours, NouveauCycle(), ADMIN).cycle == 2


def test_validity_ends_four_years_after_the_decision() -> None:
    assert fin_validite(date(2026, 6, 15)) == date(2030, 6, 15)
    assert fin_validite(date(2028, 2, 29)) == date(2032, 2, 29)
    assert fin_validite(date(2096, 2, 29)) == date(2100, 3, 1)  # 2100 is not leap


# -- what the web reads ----------------------------------------------------------------------------------


def test_the_possible_actions_follow_the_state_and_the_role() -> None:
    assert actions_possibles(NEW, ADMIN) == ("demander",)
    assert actions_possibles(NEW, LECTURE) == ()
    assert actions_possibles(sent(), STAFF) == ("affecter_auditeur", "retirer_auditeur", "decider")
    assert actions_possibles(started(), AUDITRICE) == ("auditer_mesure", "joindre_rapport", "valider_audit")
    assert actions_possibles(started(), AUTRE_AUDITEUR) == ()


def test_parcours_and_jalons_cannot_be_changed_in_place() -> None:
    parcours = validated()
    with pytest.raises(FrozenInstanceError):
        parcours.etat = Etat.LABELLISEE  # type: ignore[misc]
    pre = parcours.audit.pre_audit
    assert pre is not None
    with pytest.raises(TypeError):
        pre.noeuds["cae"].scores["point_fait"] = 500.0  # type: ignore[index]


def test_docs_describe_every_transition() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "parcours.md").read_text(encoding="utf-8")
    for code, regle in TRANSITIONS.items():
        assert f"`{code}`" in text, code
        assert regle.libelle in text, regle.libelle
    for etat in Etat:
        assert f"`{etat.value}`" in text, etat
