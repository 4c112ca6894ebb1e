"""Creating a collectivité in the app: a signed-in person becomes its first admin, with the history
entry of that arrival, in one transaction; bad input names the field and creates nothing."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from jalon.web.collectivites import services
from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import logged_in, make_member

pytestmark = pytest.mark.django_db

FORM = {"nom": "Ville de Lorient", "type": "commune", "population": "57 000", "localisation": "Metropole"}


def test_a_signed_in_person_creates_a_collectivite_and_becomes_its_admin(version: ReferentielVersion) -> None:
    member = make_member(None, None, "camille")
    client = logged_in(member)
    home = client.get("/").content.decode()
    assert "Vous n'êtes membre d'aucune collectivité" in home
    assert 'href="/collectivites/nouvelle/"' in home
    assert client.get("/collectivites/nouvelle/").status_code == 200

    response = client.post("/collectivites/nouvelle/", FORM)
    created = Collectivite.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/c/{created.pk}/"
    assert (created.nom, created.type, created.population, created.localisation) == (
        "Ville de Lorient",
        "commune",
        57_000,
        "Metropole",
    )
    assert Membership.objects.get(collectivite=created).role == Role.ADMIN
    entry = HistoryEntry.objects.get(collectivite=created)
    assert (entry.kind, entry.subject, entry.previous, entry.new, entry.user_id) == (
        Kind.MEMBRE,
        "camille",
        None,
        Role.ADMIN,
        member.user.pk,
    )
    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    assert "Ville de Lorient est créée ; vous en êtes admin" in dashboard.content.decode()
    assert client.get(f"/c/{created.pk}/membres/").status_code == 200  # the admin's page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("population", "beaucoup", "population : un nombre entier d'habitants est attendu"),
        ("type", "region", "type : valeur inconnue 'region'"),
        ("localisation", "", "localisation : valeur inconnue ''"),
        ("nom", "   ", "nom : entre 1 et 200 caractères"),
    ],
)
def test_bad_input_names_the_field_keeps_what_was_typed_and_creates_nothing(
    version: ReferentielVersion, field: str, value: str, message: str
) -> None:
    client = logged_in(make_member(None, None, "camille"))
    response = client.post("/collectivites/nouvelle/", {**FORM, field: value})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page
    if field != "nom":
        assert 'value="Ville de Lorient"' in page  # typed values kept, to correct the one wrong
    assert not Collectivite.objects.exists() and not HistoryEntry.objects.exists()


def test_a_failure_on_the_history_entry_leaves_no_collectivite_nor_membership(
    version: ReferentielVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object) -> None:
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(services, "record_role", failing)
    client = Client(raise_request_exception=False)
    client.force_login(make_member(None, None, "camille").user)
    assert client.post("/collectivites/nouvelle/", FORM).status_code == 500
    assert not Collectivite.objects.exists() and not Membership.objects.exists()


def test_creating_needs_to_be_signed_in(version: ReferentielVersion) -> None:
    response = Client().post("/collectivites/nouvelle/", FORM)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert not Collectivite.objects.exists()
