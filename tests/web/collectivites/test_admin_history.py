"""Django's admin writes through the services: a collectivité's identity and its members' roles changed
there are in the history, a new identity rescores, and the last admin stays, as on the pages."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Invitation, Membership, Role
from jalon.web.collectivites.services import create_invitation
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, Kind, ScoreSet
from tests.web.conftest import Member, count_rescorings, make_collectivite, make_member
from tests.web.statuts.test_statuts import full_evaluation

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

MEMBERSHIPS = "/admin/collectivites/membership/"


class _FormFields(HTMLParser):
    """What a browser would post for the form of that id, as the page shows it."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        name = a.get("name")
        if not self.inside:
            return
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ("on" if kind in ("checkbox", "radio") else "")
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected] or [self.options[0][0]]
            self.fields[self.select] = chosen[0]
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data


def form_of(client: Client, page: str, form_id: str) -> dict[str, str]:
    response = client.get(page)
    assert response.status_code == 200
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    assert parser.fields, f"no form {form_id} on {page}"
    return parser.fields


def messages_of(response: Response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", password="mot-de-passe-de-test")


@pytest.fixture
def client(root: User) -> Client:
    client = Client()
    assert client.login(username="root", password="mot-de-passe-de-test")
    return client


def change_collectivite(client: Client, c: Collectivite, **changes: str) -> Response:
    page = f"/admin/collectivites/collectivite/{c.pk}/change/"
    response: Response = client.post(
        page, {**form_of(client, page, "collectivite_form"), **changes}, follow=True
    )
    return response


def change_membership(client: Client, m: Membership, role: str) -> Response:
    page = f"{MEMBERSHIPS}{m.pk}/change/"
    response: Response = client.post(
        page, {**form_of(client, page, "membership_form"), "role": role}, follow=True
    )
    return response


def membre_entries() -> list[tuple[str, str | None, str | None, str]]:
    return [
        (e.subject, e.previous, e.new, e.user.username if e.user else "")
        for e in HistoryEntry.objects.filter(kind=Kind.MEMBRE).select_related("user").order_by("pk")
    ]


# -- the collectivité's identity ---------------------------------------------------------------------


def test_changing_the_identity_in_the_admin_is_in_the_history_and_rescores(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, client: Client, root: User
) -> None:
    # cae_6.1.2.2.1 fait counts for an EPCI; a commune has it désactivé.
    services.set_statut(collectivite, editor.user, "cae_6.1.2.2.1", "fait")
    before = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores
    assert not before["cae_6.1.2.2.1"]["desactive"]

    response = change_collectivite(client, collectivite, population="2000", type="commune")
    assert (
        response.status_code == 200 and response.redirect_chain[-1][0] == "/admin/collectivites/collectivite/"
    )
    collectivite.refresh_from_db()
    assert (collectivite.type, collectivite.population) == ("commune", 2_000)
    entry = HistoryEntry.objects.get(kind=Kind.IDENTITE)
    assert (entry.subject, entry.user) == ("identite", root)
    assert entry.previous == {"type": "EPCI", "population": 45_000, "localisation": "Metropole"}
    assert entry.new == {"type": "commune", "population": 2_000, "localisation": "Metropole"}
    assert not HistoryEntry.objects.filter(kind=Kind.NOM).exists()
    after = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores
    assert after["cae_6.1.2.2.1"]["desactive"] and after["cae"] != before["cae"]
    assert after == full_evaluation(version, collectivite)


def test_changing_only_the_population_in_the_admin_is_in_the_history(
    version: ReferentielVersion,
    collectivite: Collectivite,
    editor: Member,
    client: Client,
    root: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    rescorings = count_rescorings(monkeypatch)

    change_collectivite(client, collectivite, population="52000")
    collectivite.refresh_from_db()
    assert collectivite.population == 52_000
    entry = HistoryEntry.objects.get(kind=Kind.IDENTITE)
    assert entry.user == root
    assert entry.previous == {"type": "EPCI", "population": 45_000, "localisation": "Metropole"}
    assert entry.new == {"type": "EPCI", "population": 52_000, "localisation": "Metropole"}
    stored = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert rescorings == [collectivite.pk]  # rescored for the new identity
    assert stored.scores == full_evaluation(version, collectivite)


def test_renaming_in_the_admin_is_a_nom_entry_and_rescores_nothing(
    collectivite: Collectivite, editor: Member, client: Client, root: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    rescorings = count_rescorings(monkeypatch)

    change_collectivite(client, collectivite, nom="Ville de démo")
    collectivite.refresh_from_db()
    assert collectivite.nom == "Ville de démo"
    entry = HistoryEntry.objects.exclude(kind=Kind.STATUT).get()
    assert (entry.kind, entry.subject, entry.user, entry.previous, entry.new) == (
        Kind.NOM,
        "nom",
        root,
        "Communauté de démo",
        "Ville de démo",
    )
    assert rescorings == []


def test_saving_an_unchanged_collectivite_in_the_admin_records_nothing(
    collectivite: Collectivite, client: Client
) -> None:
    response = change_collectivite(client, collectivite)
    assert response.status_code == 200
    assert not HistoryEntry.objects.exists()


def test_an_identity_change_the_services_refuse_is_a_message_and_writes_nothing(client: Client) -> None:
    c = make_collectivite()  # no référentiel imported: no identity to rescore
    response = change_collectivite(client, c, population="2000", nom="Ville de démo")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/admin/collectivites/collectivite/{c.pk}/change/"
    assert messages_of(response) == ["Rien n'a été enregistré — aucun référentiel importé."]
    c.refresh_from_db()
    assert (c.nom, c.population) == ("Communauté de démo", 45_000)
    assert not HistoryEntry.objects.exists()
    assert not LogEntry.objects.exists()  # the admin's own log of the change is rolled back too


def test_creating_a_collectivite_in_the_admin_stays_a_plain_creation(
    version: ReferentielVersion, client: Client
) -> None:
    fields = form_of(client, "/admin/collectivites/collectivite/add/", "collectivite_form")
    data = {
        **fields,
        "nom": "Nouvelle commune",
        "type": "commune",
        "population": "1200",
        "localisation": "DOM",
    }
    assert client.post("/admin/collectivites/collectivite/add/", data).status_code == 302
    created = Collectivite.objects.get(nom="Nouvelle commune")
    assert (created.type, created.population, created.localisation) == ("commune", 1_200, "DOM")
    assert not HistoryEntry.objects.exists()


def test_the_collectivite_page_shows_the_members_read_only(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    page = f"/admin/collectivites/collectivite/{collectivite.pk}/change/"
    html = client.get(page).content.decode()
    rows = html.split('id="memberships-group"')[1].split("</fieldset>")[0]
    assert "edith" in rows and "Édition" in rows
    fields = form_of(client, page, "collectivite_form")
    assert "memberships-0-role" not in fields and "memberships-0-DELETE" not in fields
    assert fields["memberships-TOTAL_FORMS"] == "1"
    # A forged inline write changes nothing.
    edith = Membership.objects.get(user=editor.user)
    forged = {**fields, "memberships-0-id": str(edith.pk), "memberships-0-role": Role.ADMIN}
    forged["memberships-0-DELETE"] = "on"
    client.post(page, forged)
    assert Membership.objects.get(pk=edith.pk).role == Role.EDITION
    assert not HistoryEntry.objects.exists()


# -- the members ------------------------------------------------------------------------------------


def test_adding_a_membership_in_the_admin_is_in_the_history(
    collectivite: Collectivite, client: Client
) -> None:
    newcomer = make_member(None, None, "nina").user
    fields = form_of(client, f"{MEMBERSHIPS}add/", "membership_form")
    data = {**fields, "user": str(newcomer.pk), "collectivite": str(collectivite.pk), "role": Role.LECTURE}
    assert client.post(f"{MEMBERSHIPS}add/", data).status_code == 302
    assert Membership.objects.get(user=newcomer, collectivite=collectivite).role == Role.LECTURE
    assert membre_entries() == [("nina", None, "lecture", "root")]


def test_changing_a_role_in_the_admin_is_in_the_history(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    edith = Membership.objects.get(user=editor.user)
    response = change_membership(client, edith, Role.AUDITEUR)
    assert response.redirect_chain[-1][0] == MEMBERSHIPS
    assert Membership.objects.get(pk=edith.pk).role == Role.AUDITEUR
    assert membre_entries() == [("edith", "edition", "auditeur", "root")]
    # Saved again with the same role: nothing to record.
    change_membership(client, edith, Role.AUDITEUR)
    assert len(membre_entries()) == 1


def test_the_person_and_collectivite_of_a_membership_are_fixed_in_the_admin(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    other = make_collectivite("Autre collectivité")
    edith = Membership.objects.get(user=editor.user)
    page = f"{MEMBERSHIPS}{edith.pk}/change/"
    fields = form_of(client, page, "membership_form")
    assert set(fields) >= {"role"} and "collectivite" not in fields and "user" not in fields
    client.post(page, {**fields, "collectivite": str(other.pk), "role": Role.EDITION})
    assert Membership.objects.get(pk=edith.pk).collectivite_id == collectivite.pk
    assert membre_entries() == []


def test_deleting_a_membership_in_the_admin_is_in_the_history(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    edith = Membership.objects.get(user=editor.user)
    response = client.post(f"{MEMBERSHIPS}{edith.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=edith.pk).exists()
    assert membre_entries() == [("edith", "edition", None, "root")]


def test_bulk_deleting_memberships_in_the_admin_is_in_the_history(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    make_member(collectivite, Role.ADMIN, "ada")
    lea = make_member(collectivite, Role.LECTURE, "lea")
    chosen = [str(m.pk) for m in Membership.objects.filter(user__in=[editor.user, lea.user])]
    action = {"action": "delete_selected", "_selected_action": chosen}
    assert client.post(MEMBERSHIPS, action).status_code == 200  # the confirmation page
    assert Membership.objects.count() == 3
    response = client.post(MEMBERSHIPS, {**action, "post": "yes"}, follow=True)
    assert messages_of(response) == ["La suppression de 2 memberships a réussi."]
    assert sorted(Membership.objects.values_list("user__username", flat=True)) == ["ada"]
    assert sorted(membre_entries()) == [("edith", "edition", None, "root"), ("lea", "lecture", None, "root")]


def test_demoting_the_last_admin_in_the_admin_is_refused(collectivite: Collectivite, client: Client) -> None:
    ada = Membership.objects.get(user=make_member(collectivite, Role.ADMIN, "ada").user)
    response = change_membership(client, ada, Role.EDITION)
    assert response.redirect_chain[-1][0] == f"{MEMBERSHIPS}{ada.pk}/change/"
    assert messages_of(response) == [
        "Rien n'a été enregistré — ada est le dernier admin : nommez d'abord un autre admin."
    ]
    assert Membership.objects.get(pk=ada.pk).role == Role.ADMIN
    assert membre_entries() == [] and not LogEntry.objects.exists()


def test_deleting_the_last_admin_in_the_admin_is_refused(
    collectivite: Collectivite, editor: Member, client: Client
) -> None:
    ada = Membership.objects.get(user=make_member(collectivite, Role.ADMIN, "ada").user)
    edith = Membership.objects.get(user=editor.user)
    refusal = "Rien n'a été enregistré — ada est le dernier admin : la collectivité en garde au moins un."

    response = client.post(f"{MEMBERSHIPS}{ada.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{MEMBERSHIPS}{ada.pk}/change/"
    assert messages_of(response) == [refusal]
    # In bulk, with another member: all or nothing.
    action = {"action": "delete_selected", "_selected_action": [str(edith.pk), str(ada.pk)], "post": "yes"}
    response = client.post(MEMBERSHIPS, action, follow=True)
    assert messages_of(response) == [refusal]
    assert Membership.objects.count() == 2
    assert membre_entries() == [] and not LogEntry.objects.exists()


def test_invitations_are_seen_and_revoked_in_the_admin_never_made_or_changed(
    client: Client, root: User, collectivite: Collectivite
) -> None:
    create_invitation(collectivite, Role.LECTURE, root)
    invitation = Invitation.objects.get()
    assert client.get("/admin/collectivites/invitation/").status_code == 200
    assert client.get("/admin/collectivites/invitation/add/").status_code == 403
    page = f"/admin/collectivites/invitation/{invitation.pk}/change/"
    assert client.get(page).status_code == 200  # shown read-only
    client.post(page, {"collectivite": collectivite.pk, "role": Role.ADMIN})
    invitation.refresh_from_db()
    assert invitation.role == Role.LECTURE
    delete = f"/admin/collectivites/invitation/{invitation.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Invitation.objects.exists()
