"""An assigned auditor of an audit en cours works on the audited référentiel, member or not: its pages
(dashboard, tree, mesure pages, questionnaire) and its statuts, explications and answers, on the pages
and through the API. Before the audit starts and once it is validated, the same person is what their
membership makes them: a non-member is shown 404, a member with the role « auditeur » reads and gets
403 on writes. Someone neither a member nor assigned is shown 404 throughout."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.labellisation import services as parcours
from jalon.web.statuts.models import Explication, Reponse, StatutRecord
from jalon.web.statuts.services import Acces, acces_of
from tests.web.conftest import Member, logged_in, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, PILOTES, everything_fait, staff_user
from tests.web.statuts.test_verrou import MESURE, QUESTION, TACHE, state

pytestmark = pytest.mark.django_db


def demande_with(collectivite: Collectivite, editor: Member, *auditeurs: User) -> User:
    """A demande on cae sent by ``editor``, these auditors assigned by the staff (not started); the
    staff."""
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
    for auditeur in auditeurs:
        parcours.affecter_auditeur(collectivite, staff, "cae", auditeur.username, le=date(2026, 1, 6))
    return staff


def start(collectivite: Collectivite, auditeur: User) -> None:
    parcours.demarrer_audit(collectivite, auditeur, "cae", le=date(2026, 2, 1))


@pytest.fixture
def externe() -> Member:
    """An auditor who is not a member of the collectivité."""
    return make_member(None, None, "xavier")


@pytest.fixture
def membre_auditeur(collectivite: Collectivite) -> Member:
    """A member whose role, « auditeur », reads only."""
    return make_member(collectivite, Role.AUDITEUR, "aurore")


@pytest.fixture
def inconnu() -> Member:
    """Neither a member nor assigned."""
    return make_member(None, None, "ines")


def urls(collectivite: Collectivite) -> dict[str, str]:
    return {
        "dashboard": f"/c/{collectivite.pk}/",
        "tree": f"/c/{collectivite.pk}/cae/",
        "mesure": f"/c/{collectivite.pk}/action/{MESURE}/",
        "questionnaire": f"/c/{collectivite.pk}/questionnaire/",
    }


Put = Callable[[str, dict[str, object]], int]


def api_put(member: Member, collectivite: Collectivite) -> Put:
    client = member.client()

    def put(path: str, body: dict[str, object]) -> int:
        url = f"/api/collectivites/{collectivite.pk}/{path}"
        status: int = client.put(url, json.dumps(body), content_type="application/json").status_code
        return status

    return put


def page_writes(member: Member, collectivite: Collectivite) -> list[int]:
    """The statut, the explication and the answer written from the pages: their statuses."""
    client, u = logged_in(member), urls(collectivite)
    return [
        client.post(u["mesure"], {"action_id": TACHE, "avancement": "programme"}).status_code,
        client.post(u["mesure"], {"action_id": TACHE, "texte": "Vu sur la page"}).status_code,
        client.post(u["questionnaire"], {"question_id": QUESTION, "valeur": "OUI"}).status_code,
    ]


def api_writes(member: Member, collectivite: Collectivite) -> list[int]:
    put = api_put(member, collectivite)
    return [
        put(f"statuts/{TACHE}", {"avancement": "pas_fait"}),
        put(f"explications/{TACHE}", {"texte": "Vu par l'API"}),
        put(f"reponses/{QUESTION}", {"valeur": "NON", "justification": "Vu par l'API"}),
    ]


def page_reads(member: Member, collectivite: Collectivite) -> dict[str, int]:
    client = logged_in(member)
    return {name: client.get(url).status_code for name, url in urls(collectivite).items()}


def api_reads(member: Member, collectivite: Collectivite) -> list[int]:
    client, base = member.client(), f"/api/collectivites/{collectivite.pk}"
    return [client.get(f"{base}/{path}").status_code for path in ("referentiels/cae", "statuts", "reponses")]


@pytest.mark.parametrize("who", ["externe", "membre_auditeur"])
def test_an_assigned_auditor_works_on_the_audited_referentiel_during_the_audit(
    collectivite: Collectivite, editor: Member, who: str, request: pytest.FixtureRequest
) -> None:
    auditeur: Member = request.getfixturevalue(who)
    demande_with(collectivite, editor, auditeur.user)
    start(collectivite, auditeur.user)

    assert page_reads(auditeur, collectivite) == dict.fromkeys(urls(collectivite), 200)
    assert api_reads(auditeur, collectivite) == [200, 200, 200]
    page = logged_in(auditeur).get(urls(collectivite)["mesure"]).content.decode()
    assert 'class="statut-form"' in page and "verrouille" not in page
    assert 'data-testid="ajouter-pilote"' not in page  # pilotes and services stay the members'
    dashboard = logged_in(auditeur).get(urls(collectivite)["dashboard"]).content.decode()
    role = "Auditeur affecté" if who == "externe" else "Auditeur"
    assert f"votre rôle : {role}" in dashboard
    # The menu offers a non-member only the pages they may open.
    member_only = [
        f"/c/{collectivite.pk}/{p}/" for p in ("discussions", "historique", "membres", "parametres")
    ]
    for url in (urls(collectivite)["dashboard"], f"/c/{collectivite.pk}/labellisation/"):
        html = logged_in(auditeur).get(url).content.decode()
        shown = [u for u in member_only if f'href="{u}"' in html]
        assert shown == ([] if who == "externe" else member_only), url

    assert page_writes(auditeur, collectivite) == [302, 302, 302]
    statut = StatutRecord.objects.get(collectivite=collectivite, action_id=TACHE)
    assert (statut.avancement, statut.modified_by) == ("programme", auditeur.user)
    assert Explication.objects.get(collectivite=collectivite, action_id=TACHE).texte == "Vu sur la page"
    assert Reponse.objects.get(collectivite=collectivite, question_id=QUESTION).valeur == "OUI"

    assert api_writes(auditeur, collectivite) == [200, 200, 200]
    assert StatutRecord.objects.get(collectivite=collectivite, action_id=TACHE).avancement == "pas_fait"
    assert Explication.objects.get(collectivite=collectivite, action_id=TACHE).texte == "Vu par l'API"
    reponse = Reponse.objects.get(collectivite=collectivite, question_id=QUESTION)
    assert (reponse.valeur, reponse.justification) == ("NON", "Vu par l'API")

    # The members, meanwhile, are refused by the write primitive (the lock), not by their role.
    before = state(collectivite)
    assert api_writes(editor, collectivite) == [403, 403, 403]
    assert state(collectivite) == before


def test_pilotage_stays_the_members_for_an_auditor_who_is_not_one(
    collectivite: Collectivite, editor: Member, externe: Member
) -> None:
    demande_with(collectivite, editor, externe.user)
    start(collectivite, externe.user)
    refused = logged_in(externe).post(
        urls(collectivite)["mesure"],
        {"pilotage": "ajouter_pilote", "action_id": MESURE, "nom": "Xavier"},
    )
    assert refused.status_code == 403


def test_before_the_audit_and_after_its_validation_the_auditor_is_what_membership_makes_them(
    collectivite: Collectivite, editor: Member, externe: Member, membre_auditeur: Member
) -> None:
    def check() -> None:
        before = state(collectivite)
        assert set(page_reads(externe, collectivite).values()) == {404}
        assert api_reads(externe, collectivite) == [404, 404, 404]
        assert page_writes(externe, collectivite) == [404, 404, 404]
        assert api_writes(externe, collectivite) == [404, 404, 404]
        assert page_reads(membre_auditeur, collectivite) == dict.fromkeys(urls(collectivite), 200)
        assert page_writes(membre_auditeur, collectivite) == [403, 403, 403]
        assert api_writes(membre_auditeur, collectivite) == [403, 403, 403]
        assert state(collectivite) == before

    demande_with(collectivite, editor, externe.user, membre_auditeur.user)
    check()  # assigned, the audit not started
    start(collectivite, externe.user)
    parcours.valider_audit(collectivite, externe.user, "cae", le=date(2026, 2, 10))
    check()


def test_someone_neither_member_nor_assigned_is_shown_404_throughout(
    collectivite: Collectivite, editor: Member, externe: Member, inconnu: Member
) -> None:
    def check() -> None:
        assert set(page_reads(inconnu, collectivite).values()) == {404}
        assert api_reads(inconnu, collectivite) == [404, 404, 404]
        assert page_writes(inconnu, collectivite) == [404, 404, 404]
        assert api_writes(inconnu, collectivite) == [404, 404, 404]

    check()
    demande_with(collectivite, editor, externe.user)
    check()
    start(collectivite, externe.user)
    check()
    parcours.valider_audit(collectivite, externe.user, "cae", le=date(2026, 2, 10))
    check()


def test_the_access_rule_of_an_auditor_who_is_not_a_member(
    collectivite: Collectivite, editor: Member, externe: Member, inconnu: Member
) -> None:
    """The rule the pages and the API ask: the audited référentiels only, for an auditor who is not a
    member (an answer read by several référentiels counts when one of them is audited)."""
    assert acces_of(externe.user, collectivite.pk) is None
    demande_with(collectivite, editor, externe.user)
    start(collectivite, externe.user)
    found = acces_of(externe.user, collectivite.pk)
    assert found == Acces(collectivite, None, frozenset({"cae"}))
    assert found.voit("cae") and not found.voit("eci")
    assert found.ecrit(["cae"]) and found.ecrit(["cae", "eci"]) and not found.ecrit(["eci"])
    assert found.refus() == "vous n'êtes auditeur affecté que de : cae"
    assert acces_of(inconnu.user, collectivite.pk) is None
    membre = acces_of(editor.user, collectivite.pk)
    assert membre == Acces(collectivite, Role.EDITION, frozenset())
    lecture = Acces(collectivite, Role.LECTURE, frozenset())
    assert lecture.voit("eci") and not lecture.ecrit(["cae"])
    assert lecture.refus() == "le rôle lecture ne permet pas de modifier"
