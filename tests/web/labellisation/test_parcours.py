"""The parcours de labellisation stored by the web: every transition goes through the engine inside the
write primitive; a refused one writes nothing; each accepted one leaves its history entry; the stored
rows read back into the same parcours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from jalon.labellisation import parcours as engine
from jalon.labellisation.jalons import comparer
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.labellisation import models, services
from jalon.web.labellisation.services import ParcoursInterdit, ParcoursRefuse
from jalon.web.referentiels.services import import_folder, loaded_version
from jalon.web.statuts.models import HistoryEntry, Kind
from jalon.web.statuts.services import scores, set_statut
from jalon.web.statuts.write import change
from tests.web.conftest import Member, make_member

pytestmark = pytest.mark.django_db

SOUS_MESURES = [
    *("cae_6.1.1.1", "cae_6.1.1.2", "cae_6.1.1.3", "cae_6.1.1.4", "cae_6.1.1.5"),
    *("cae_6.1.2.1", "cae_6.1.2.2", "cae_6.1.2.3"),
]
PILOTES = ("cae_6.1.2.1.1", "cae_6.1.1.1.2")  # the demo's criteria file asks pilotes on these
DOCUMENT = "https://exemple.fr/lettre-signee.pdf"


def staff_user(username: str = "stella") -> User:
    return User.objects.create_user(username=username, password="mot-de-passe-de-test", is_staff=True)


def everything_fait(collectivite: Collectivite, editor: Member) -> None:
    for action_id in SOUS_MESURES:
        set_statut(collectivite, editor.user, action_id, "fait")


def snapshot(collectivite: Collectivite) -> dict[str, object]:
    """Everything a transition could write: its rows, the history, the collectivité's revision."""
    collectivite.refresh_from_db()
    counted = (
        models.Cycle,
        models.Demande,
        models.Audit,
        models.AuditMesure,
        models.Decision,
        models.Label,
        models.Jalon,
    )
    found: dict[str, object] = {m.__name__: list(m.objects.values()) for m in counted}
    found["auditeurs"] = list(models.Audit.auditeurs.through.objects.values())
    found["history"] = HistoryEntry.objects.count()
    found["revision"] = collectivite.revision
    return found


def parcours_history(collectivite: Collectivite) -> list[str]:
    entries = HistoryEntry.objects.filter(collectivite=collectivite, kind=Kind.PARCOURS).order_by("id")
    assert all(e.subject == "parcours cae" for e in entries)
    return [e.new["action"] for e in entries if e.new is not None]


def test_a_whole_parcours_with_audit_is_stored_and_read_back_as_the_engine_left_it(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        services.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    staff = staff_user()
    auditeur = make_member(None, None, "audrey").user  # an auditor need not be a member

    after = services.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=2,
        document=DOCUMENT,
        le=date(2026, 1, 5),
    )
    assert after.etat is engine.Etat.DEMANDE_ENVOYEE
    assert after.demande == engine.Demande(
        2, engine.Sujet.LABELLISATION, date(2026, 1, 5), str(editor.user.pk), True
    )
    assert models.Demande.objects.get().document == DOCUMENT

    services.affecter_auditeur(collectivite, staff, "cae", "audrey", le=date(2026, 1, 6))
    started = services.demarrer_audit(collectivite, auditeur, "cae", le=date(2026, 2, 1))
    assert started.etat is engine.Etat.AUDIT_EN_COURS
    pre = models.Audit.objects.get().pre_audit
    assert pre is not None and pre.genre == "pre_audit" and pre.le == date(2026, 2, 1)
    # The pré-audit jalon holds the stored scores of that moment.
    assert services.jalon_value(pre).noeuds["cae"].scores == scores(collectivite, "cae")["cae"]
    lock = engine.verrou(started)
    assert lock is not None and lock.auteurs == {str(auditeur.pk)}
    assert services.verrou_of(collectivite.pk, "cae") == lock

    services.auditer_mesure(
        collectivite, auditeur, "cae", "cae_6.1.1", "audite", "Bien documenté.", True, le=date(2026, 2, 2)
    )
    services.joindre_rapport(
        collectivite, auditeur, "cae", "https://exemple.fr/rapport.pdf", le=date(2026, 2, 3)
    )
    assert services.verrou_of(collectivite.pk, "cae") is not None
    validated = services.valider_audit(collectivite, auditeur, "cae", le=date(2026, 2, 10))
    assert validated.etat is engine.Etat.AUDIT_VALIDE
    assert services.verrou_of(collectivite.pk, "cae") is None  # the audit over, the roles decide again
    assert validated.audit.mesures["cae_6.1.1"] == engine.AuditMesure(
        engine.StatutAudit.AUDITE, "Bien documenté.", True
    )

    decided = services.decider(collectivite, staff, "cae", True, le=date(2026, 3, 1))
    assert decided.etat is engine.Etat.LABELLISEE
    # The star is the one the post-audit score reaches (everything fait: the 5th), not the one asked.
    label = models.Label.objects.get()
    assert (label.etoile, label.obtenu_le, label.fin_validite) == (5, date(2026, 3, 1), date(2030, 3, 1))
    assert float(label.pct_fait) == 100.0 and float(label.pct_programme) == 0.0

    # What is stored reads back into exactly the parcours the engine built, sound.
    stored = services.parcours_of(collectivite, "cae")
    assert stored == decided
    assert engine.incoherences(stored) == ()
    assert engine.label_en_vigueur(stored, date(2027, 1, 1)) == decided.labels[-1]

    renewed = services.nouveau_cycle(collectivite, editor.user, "cae", le=date(2026, 3, 2))
    assert (renewed.cycle, renewed.etat, renewed.labels) == (2, engine.Etat.NON_DEMANDEE, decided.labels)
    assert services.parcours_of(collectivite, "cae") == renewed
    assert models.Cycle.objects.filter(courant=True).get().cycle == 2
    with pytest.raises(ParcoursRefuse) as refused:
        services.demander(
            collectivite,
            editor.user,
            "cae",
            sujet="labellisation",
            etoile=5,
            document=DOCUMENT,
            le=date(2026, 4, 1),
        )
    assert (
        "elle a été obtenue le 01/03/2026 et reste valable jusqu'au 28/02/2030 inclus" in refused.value.reason
    )

    assert parcours_history(collectivite) == [
        "demander",
        "affecter_auditeur",
        "demarrer_audit",
        "auditer_mesure",
        "joindre_rapport",
        "valider_audit",
        "decider",
        "nouveau_cycle",
    ]
    entry = HistoryEntry.objects.get(kind=Kind.PARCOURS, new__action="decider")
    assert entry.user == staff
    assert entry.previous == {"etat": "audit_valide", "cycle": 1}
    assert entry.new is not None and entry.new["etat"] == "labellisee" and entry.new["label"] == 5
    assert HistoryEntry.objects.filter(kind=Kind.PILOTE).count() == 2


def test_the_first_star_is_decided_without_audit_on_a_jalon_the_commission_judged(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    staff = staff_user()
    services.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=1,
        document=DOCUMENT,
        le=date(2026, 1, 5),
    )
    with pytest.raises(ParcoursRefuse) as refused:
        services.affecter_auditeur(collectivite, staff, "cae", editor.user.username, le=date(2026, 1, 6))
    assert "traitée sans audit" in refused.value.reason
    jalon = services.figer_jalon(
        collectivite, editor.user, "cae", "Dossier de la commission", le=date(2026, 1, 6)
    )
    decided = services.decider(collectivite, staff, "cae", True, jalon.pk, le=date(2026, 1, 20))
    assert decided.labels[-1].etoile == 1
    assert services.parcours_of(collectivite, "cae") == decided
    assert HistoryEntry.objects.filter(kind=Kind.JALON, subject="jalon cae").count() == 1


def _attempts(
    collectivite: Collectivite, editor: User, lecteur: User, staff: User
) -> dict[str, tuple[Callable[[], object], type[Exception]]]:
    def demande(user: User, document: str = DOCUMENT) -> Callable[[], object]:
        return lambda: services.demander(
            collectivite, user, "cae", sujet="labellisation", etoile=1, document=document
        )

    return {
        "demande_at_zero": (demande(editor), ParcoursRefuse),
        "audit_before_its_demande": (
            lambda: services.affecter_auditeur(collectivite, staff, "cae", "lea"),
            ParcoursRefuse,
        ),
        "lecture_demands": (demande(lecteur), ParcoursInterdit),
        "editor_decides": (lambda: services.decider(collectivite, editor, "cae", True), ParcoursInterdit),
        "bad_document": (demande(editor, "ftp://exemple.fr/x"), InputError),
    }


ATTEMPTS = [
    "demande_at_zero",
    "audit_before_its_demande",
    "lecture_demands",
    "editor_decides",
    "bad_document",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_a_refused_transition_writes_nothing(
    collectivite: Collectivite, editor: Member, attempt: str
) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea").user
    call, error = _attempts(collectivite, editor.user, lecteur, staff_user())[attempt]
    before = snapshot(collectivite)
    with pytest.raises(error):
        call()
    assert snapshot(collectivite) == before


def test_a_demande_at_zero_names_every_missing_item_in_french(
    collectivite: Collectivite, editor: Member
) -> None:
    with pytest.raises(ParcoursRefuse) as refused:
        services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=1, document="")
    error = refused.value
    assert error.field == "demander"
    assert error.reason.startswith("Demande de la 1re étoile refusée : il manque : ")
    assert any(m.startswith("Complétude d'au moins 100 %") for m in error.manquants)
    assert any("Les référents climat de chaque collectivité sont connus" in m for m in error.manquants)
    assert any("Lettre d'engagement signée" in m for m in error.manquants)


def test_an_audit_demande_needs_the_pilotes(collectivite: Collectivite, editor: Member) -> None:
    everything_fait(collectivite, editor)
    with pytest.raises(ParcoursRefuse) as refused:
        services.demander(
            collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT
        )
    assert refused.value.manquants == ("Des pilotes nommés sur cae_6.1.2.1.1, cae_6.1.1.1.2",)
    assert models.Cycle.objects.count() == 0


def test_only_an_assigned_auditor_starts_the_audit(collectivite: Collectivite, editor: Member) -> None:
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        services.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=3, document=DOCUMENT)
    member_auditor = make_member(collectivite, Role.AUDITEUR, "otto").user  # the role alone is not enough
    before = snapshot(collectivite)
    with pytest.raises(ParcoursInterdit) as refused:
        services.demarrer_audit(collectivite, member_auditor, "cae")
    assert refused.value.message == "Démarrer l'audit : réservé à un auditeur affecté à ce parcours."
    assert snapshot(collectivite) == before


def test_the_database_keeps_one_current_cycle_per_collectivite_and_referentiel(
    collectivite: Collectivite,
) -> None:
    models.Cycle.objects.create(collectivite=collectivite, referentiel="cae", cycle=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Cycle.objects.create(collectivite=collectivite, referentiel="cae", cycle=2)
    models.Cycle.objects.create(collectivite=collectivite, referentiel="cae", cycle=2, courant=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Cycle.objects.create(collectivite=collectivite, referentiel="cae", cycle=2, courant=False)


def test_a_jalon_reads_back_unchanged_after_the_state_moves_on(
    collectivite: Collectivite, editor: Member
) -> None:
    set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    row = services.figer_jalon(collectivite, editor.user, "cae", "Avant l'été", le=date(2026, 6, 1))
    frozen = services.jalon_value(row)
    set_statut(collectivite, editor.user, "cae_6.1.1.2", "programme")
    again = services.jalon_value(models.Jalon.objects.get(pk=row.pk))
    assert again == frozen
    assert again.statuts["cae_6.1.1.1"].libelle == "fait" and "cae_6.1.1.2" not in again.statuts
    now = services.jalon_maintenant(collectivite, "cae")
    compared = comparer(frozen, now)
    assert [c.action_id for c in compared.statuts] == ["cae_6.1.1.2"]
    assert "cae_6.1.1" in {n.action_id for n in compared.changements}


def test_figer_a_jalon_is_for_editors(collectivite: Collectivite) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea").user
    with pytest.raises(PermissionDenied):
        services.figer_jalon(collectivite, lecteur, "cae", "Mon jalon")
    assert not models.Jalon.objects.exists()


def test_only_the_staff_learn_whether_an_account_exists_when_assigning(
    collectivite: Collectivite, editor: Member
) -> None:
    with pytest.raises(ParcoursInterdit) as refused:
        services.affecter_auditeur(collectivite, editor.user, "cae", "personne")
    assert refused.value.message == "Affecter un auditeur : réservé à l'équipe de la plateforme."
    with pytest.raises(InputError) as unknown:
        services.affecter_auditeur(collectivite, staff_user(), "cae", "personne")
    assert unknown.value.reason == "aucun compte actif nommé 'personne'"


def test_a_whole_parcours_on_the_official_cae_freezes_jalons_that_read_back_exactly(
    collectivite: Collectivite, editor: Member, referentiels_dir: Path
) -> None:
    version = import_folder(
        referentiels_dir, referentiels_dir.parent / "labellisation" / "criteres.yml"
    ).version
    cae = loaded_version(version).referentiels["cae"]
    with pytest.raises(ParcoursRefuse) as refused:
        services.demander(
            collectivite, editor.user, "cae", sujet="labellisation", etoile=1, document=DOCUMENT
        )
    assert any(
        "Un·e élu·e référent·e est désigné·e" in m and "cae_5.1.2.1.1" in m for m in refused.value.manquants
    )

    # Every sous-mesure fait, in one write of the primitive (as an import would).
    with change(collectivite.pk, editor.user.pk) as w:
        for action in cae.actions.values():
            if action.depth == cae.action_level + 1:
                w.put_statut(cae, action.id, {"avancement": "fait"})
    for action_id in ("cae_5.1.2.1.1", "cae_5.1.1.1.3"):
        services.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    staff = staff_user()
    auditeur = make_member(None, None, "audrey").user
    services.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=3,
        document=DOCUMENT,
        le=date(2026, 1, 5),
    )
    services.affecter_auditeur(collectivite, staff, "cae", "audrey", le=date(2026, 1, 6))
    services.demarrer_audit(collectivite, auditeur, "cae", le=date(2026, 2, 1))
    pre = models.Audit.objects.get().pre_audit
    assert pre is not None
    frozen = services.jalon_value(pre)
    assert next(iter(frozen.noeuds)) == "cae" and set(frozen.noeuds) == set(cae.actions)
    assert {a: dict(n.scores) for a, n in frozen.noeuds.items()} == scores(collectivite, "cae")
    services.auditer_mesure(collectivite, auditeur, "cae", "cae_1.1.1", "audite", le=date(2026, 2, 2))
    with pytest.raises(ParcoursRefuse) as not_a_mesure:
        services.auditer_mesure(collectivite, auditeur, "cae", "cae_1.1.1.1", "audite", le=date(2026, 2, 2))
    assert "'cae_1.1.1.1' n'est pas une mesure du référentiel cae" in not_a_mesure.value.reason
    services.valider_audit(collectivite, auditeur, "cae", le=date(2026, 2, 10))
    decided = services.decider(collectivite, staff, "cae", True, le=date(2026, 3, 1))
    post = services.jalon_value(models.Audit.objects.get().post_audit)  # type: ignore[arg-type]
    assert decided.labels[-1].etoile == post.etoile((0.0, 0.35, 0.5, 0.65, 0.75)) == 5
    assert decided.labels[-1].pct_fait == round(100 * post.fait, 1)
    assert services.parcours_of(collectivite, "cae") == decided


def test_a_free_jalon_is_renamed_or_deleted_but_not_those_of_the_parcours(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    libre = services.figer_jalon(collectivite, editor.user, "cae", "Brouillon", le=date(2026, 1, 2))
    assert services.renommer_jalon(collectivite, editor.user, libre.pk, " Printemps ").nom == "Printemps"
    services.supprimer_jalon(collectivite, editor.user, libre.pk)
    assert not models.Jalon.objects.filter(pk=libre.pk).exists()
    entries = HistoryEntry.objects.filter(kind=Kind.JALON).order_by("id")
    assert [(e.previous and e.previous["nom"], e.new and e.new["nom"]) for e in entries] == [
        (None, "Brouillon"),
        ("Brouillon", "Printemps"),
        ("Printemps", None),
    ]

    # A jalon the commission judged is kept; those of the parcours cannot be renamed nor deleted.
    judged = services.figer_jalon(collectivite, editor.user, "cae", "Dossier", le=date(2026, 1, 3))
    services.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=1,
        document=DOCUMENT,
        le=date(2026, 1, 3),
    )
    services.decider(collectivite, staff_user(), "cae", True, judged.pk, le=date(2026, 1, 10))
    assert models.Decision.objects.get().jalon == judged
    with pytest.raises(InputError) as kept:
        services.supprimer_jalon(collectivite, editor.user, judged.pk)
    assert kept.value.reason == "le jalon « Dossier » a été jugé par la commission : il est gardé."
    pre = models.Jalon.objects.create(
        collectivite=collectivite,
        referentiel="cae",
        version=judged.version,
        nom="Pré-audit",
        genre="pre_audit",
        le=date(2026, 2, 1),
        noeuds=judged.noeuds,
        statuts=judged.statuts,
    )
    before = snapshot(collectivite)
    for attempt in (
        lambda: services.renommer_jalon(collectivite, editor.user, pre.pk, "Autre"),
        lambda: services.supprimer_jalon(collectivite, editor.user, pre.pk),
    ):
        with pytest.raises(InputError) as protected:
            attempt()
        assert "est fait par le parcours de labellisation : il ne peut être ni renommé ni supprimé" in (
            protected.value.reason
        )
    assert snapshot(collectivite) == before
