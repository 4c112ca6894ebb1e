"""The audit's lock, enforced by the write primitive: once an audit has started, only its assigned
auditors change the référentiel's statuts, explications and answers; anyone else's write is refused
(403 with the French reason) and writes nothing; the lock follows the auditors assigned or removed
during the audit and is gone once the audit is validated. Pages show the locked controls disabled."""

from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import Locked
from jalon.web.labellisation import services as parcours
from jalon.web.statuts.models import Explication, HistoryEntry, Reponse, StatutRecord, Verrou
from jalon.web.statuts.services import set_explication, set_reponse, set_statut
from jalon.web.statuts.write import change
from tests.web.conftest import Member, logged_in, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, PILOTES, everything_fait, staff_user

pytestmark = pytest.mark.django_db

TACHE = "cae_6.1.1.1.1"
MESURE = "cae_6.1.1"
QUESTION = "demo_jumelage"  # read by a rule of the demo's cae


def state(collectivite: Collectivite) -> dict[str, object]:
    """Everything a refused write could have changed."""
    collectivite.refresh_from_db()
    return {
        "statuts": list(StatutRecord.objects.filter(collectivite=collectivite).values()),
        "explications": list(Explication.objects.filter(collectivite=collectivite).values()),
        "reponses": list(Reponse.objects.filter(collectivite=collectivite).values()),
        "history": HistoryEntry.objects.filter(collectivite=collectivite).count(),
        "revision": collectivite.revision,
    }


def start_audit(collectivite: Collectivite, editor: Member, auditeur: User) -> User:
    """A demande sent by ``editor``, ``auditeur`` assigned by the staff, the audit started; the staff."""
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        parcours.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    parcours.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=2,
        document=DOCUMENT,
        le=date(2026, 1, 5),
    )
    staff = staff_user()
    parcours.affecter_auditeur(collectivite, staff, "cae", auditeur.username, le=date(2026, 1, 6))
    parcours.demarrer_audit(collectivite, auditeur, "cae", le=date(2026, 2, 1))
    return staff


@pytest.fixture
def auditeur(collectivite: Collectivite) -> Member:
    """An assigned auditor who is also a member in édition: the API and the pages let them write."""
    return make_member(collectivite, Role.EDITION, "audrey")


def test_a_members_statut_explication_and_answer_are_refused_during_the_audit_and_write_nothing(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    start_audit(collectivite, editor, auditeur.user)
    lock = Verrou.objects.get(collectivite=collectivite, referentiel="cae")
    assert lock.auteurs == [auditeur.user.pk]
    assert lock.motif.startswith("Audit en cours depuis le 01/02/2026 : seuls les auditeurs affectés")
    before = state(collectivite)
    for write in (
        lambda: set_statut(collectivite, editor.user, TACHE, "pas_fait"),
        lambda: set_explication(collectivite, editor.user, TACHE, "Changé pendant l'audit"),
        lambda: set_reponse(collectivite, editor.user, QUESTION, "NON", "Changé pendant l'audit"),
    ):
        with pytest.raises(Locked) as refused:
            write()
        assert refused.value.reason == lock.motif
        assert state(collectivite) == before


def test_the_assigned_auditor_writes_during_the_audit(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    start_audit(collectivite, editor, auditeur.user)
    change_ = set_statut(collectivite, auditeur.user, TACHE, "pas_fait")
    assert change_.statut == {"avancement": "pas_fait"}
    set_explication(collectivite, auditeur.user, TACHE, "Vu à l'audit")
    set_reponse(collectivite, auditeur.user, QUESTION, "NON", "Vu à l'audit")
    assert StatutRecord.objects.get(collectivite=collectivite, action_id=TACHE).modified_by == auditeur.user
    assert Explication.objects.get(collectivite=collectivite, action_id=TACHE).texte == "Vu à l'audit"
    assert Reponse.objects.get(collectivite=collectivite, question_id=QUESTION).valeur == "NON"


def test_after_validation_the_members_write_again(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    start_audit(collectivite, editor, auditeur.user)
    parcours.valider_audit(collectivite, auditeur.user, "cae", le=date(2026, 2, 10))
    assert not Verrou.objects.filter(collectivite=collectivite).exists()
    set_statut(collectivite, editor.user, TACHE, "pas_fait")
    set_explication(collectivite, editor.user, TACHE, "Après l'audit")
    set_reponse(collectivite, editor.user, QUESTION, "NON")
    assert StatutRecord.objects.get(collectivite=collectivite, action_id=TACHE).avancement == "pas_fait"


def test_auditors_assigned_or_removed_during_the_audit_gain_or_lose_the_right_to_write(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    staff = start_audit(collectivite, editor, auditeur.user)
    second = make_member(collectivite, Role.EDITION, "bastien")
    with pytest.raises(Locked):
        set_statut(collectivite, second.user, TACHE, "programme")
    parcours.affecter_auditeur(collectivite, staff, "cae", "bastien", le=date(2026, 2, 2))
    set_statut(collectivite, second.user, TACHE, "programme")
    parcours.retirer_auditeur(collectivite, staff, "cae", "audrey", le=date(2026, 2, 3))
    assert Verrou.objects.get(collectivite=collectivite).auteurs == [second.user.pk]
    with pytest.raises(Locked):
        set_statut(collectivite, auditeur.user, TACHE, "fait")


def test_no_audit_no_lock_and_a_demande_alone_locks_nothing(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        parcours.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    parcours.demander(
        collectivite,
        editor.user,
        "cae",
        sujet="labellisation",
        etoile=2,
        document=DOCUMENT,
        le=date(2026, 1, 5),
    )
    parcours.affecter_auditeur(collectivite, staff_user(), "cae", "audrey", le=date(2026, 1, 6))
    assert not Verrou.objects.exists()
    set_statut(collectivite, editor.user, TACHE, "pas_fait")


def test_the_primitive_checks_the_lock_it_reads_under_the_collectivites_lock(
    collectivite: Collectivite, editor: Member
) -> None:
    """Without the parcours: a lock set through the primitive refuses the next write of anyone else, a
    write without a user (an operator's) included, and setting it bumps the revision."""
    collectivite.refresh_from_db()
    revision = collectivite.revision
    with change(collectivite.pk, None) as w:
        w.verrouiller("cae", [editor.user.pk + 1000], "Verrouillé pour le test.")
    collectivite.refresh_from_db()
    assert collectivite.revision != revision
    with pytest.raises(Locked, match="Verrouillé pour le test"):
        set_statut(collectivite, editor.user, TACHE, "fait")
    with pytest.raises(Locked), change(collectivite.pk, None) as w:
        w.put_explication(TACHE, "sans utilisateur")
    with change(collectivite.pk, None) as w:
        w.deverrouiller("cae")
    set_statut(collectivite, editor.user, TACHE, "fait")


@pytest.mark.django_db(transaction=True)
def test_a_members_write_waiting_for_the_audits_start_is_refused_once_it_commits(
    collectivite: Collectivite, editor: Member, auditeur: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Race-free: the lock is read under the collectivité's lock, so a write queued behind the start of
    the audit sees the lock that start committed (on SQLite and, in the PostgreSQL pass, the server)."""
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        parcours.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    parcours.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT)
    parcours.affecter_auditeur(collectivite, staff_user(), "cae", auditeur.user.username)
    locking = threading.Event()
    original = parcours._lock

    def slow_lock(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        locking.set()
        time.sleep(0.5)  # the member's write now waits for the collectivité's lock

    monkeypatch.setattr(parcours, "_lock", slow_lock)
    outcome: list[str] = []

    def member_writes() -> None:
        try:
            locking.wait(10)
            try:
                set_statut(collectivite, editor.user, TACHE, "pas_fait")
                outcome.append("écrit")
            except Locked as refused:
                outcome.append(refused.reason)
        finally:
            connection.close()

    thread = threading.Thread(target=member_writes)
    thread.start()
    parcours.demarrer_audit(collectivite, auditeur.user, "cae")
    thread.join()
    assert outcome == [Verrou.objects.get().motif]
    assert not StatutRecord.objects.filter(collectivite=collectivite, action_id=TACHE).exists()


def test_the_api_answers_403_with_the_reason_and_lets_the_auditor_write(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    start_audit(collectivite, editor, auditeur.user)
    motif = Verrou.objects.get().motif
    base = f"/api/collectivites/{collectivite.pk}"
    writes = (
        (f"{base}/statuts/{TACHE}", {"avancement": "pas_fait"}, "action_id"),
        (f"{base}/explications/{TACHE}", {"texte": "Changé"}, "action_id"),
        (f"{base}/reponses/{QUESTION}", {"valeur": "NON"}, "question_id"),
    )
    before = state(collectivite)
    for url, body, field in writes:
        response = editor.client().put(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": [{"field": field, "reason": motif}]}
    assert state(collectivite) == before
    for url, body, _ in writes:
        response = auditeur.client().put(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content


def test_the_pages_show_the_members_controls_disabled_with_the_reason(
    collectivite: Collectivite, editor: Member, auditeur: Member
) -> None:
    start_audit(collectivite, editor, auditeur.user)
    motif = Verrou.objects.get().motif
    member, audits = logged_in(editor), logged_in(auditeur)
    mesure_url = f"/c/{collectivite.pk}/action/{MESURE}/"

    page = member.get(mesure_url).content.decode()
    assert 'data-testid="verrou"' in page and "Audit en cours depuis le 01/02/2026" in page
    assert page.count('<fieldset class="verrouille" disabled') >= 3  # statut, explications
    page = audits.get(mesure_url).content.decode()
    assert 'data-testid="verrou"' not in page and "verrouille" not in page

    # A write from a page shown before the audit started: 403, the page again with the reason and the
    # controls disabled (htmx swaps the rows' fragment in place), nothing written.
    before = state(collectivite)
    for headers in ({}, {"HX-Request": "true"}):
        refused = member.post(mesure_url, {"action_id": TACHE, "avancement": "pas_fait"}, headers=headers)
        assert refused.status_code == 403
        page = refused.content.decode()
        assert page.count(motif) == 1 and '<fieldset class="verrouille" disabled' in page
        assert ("<h1>" in page) == (not headers)
    assert state(collectivite) == before
    assert audits.post(mesure_url, {"action_id": TACHE, "avancement": "pas_fait"}).status_code == 302

    questionnaire_url = f"/c/{collectivite.pk}/questionnaire/"
    page = member.get(questionnaire_url).content.decode()
    assert f'data-testid="verrou-{QUESTION}"' in page
    assert "verrou-" not in audits.get(questionnaire_url).content.decode()
    for headers in ({}, {"HX-Request": "true"}):
        refused = member.post(questionnaire_url, {"question_id": QUESTION, "valeur": "NON"}, headers=headers)
        assert refused.status_code == 403
        page = refused.content.decode()
        assert f'data-testid="verrou-{QUESTION}"' in page and motif in page
        assert ("<h1>" in page) == (not headers)
    assert not Reponse.objects.filter(collectivite=collectivite).exists()
