"""The collectivité's settings page: the admin changes the identity (history, rescoring); others read."""

from __future__ import annotations

import pytest

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.pages.parametres import parse_population
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, ScoreSet
from tests.web.conftest import Member, count_rescorings, logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db

IDENTITE = {"nom": "Communauté de démo", "type": "EPCI", "population": "45 000", "localisation": "Metropole"}


def test_admin_changes_the_identity_scores_follow_and_history_records_it(
    collectivite: Collectivite, editor: Member
) -> None:
    # cae_6.1.2.2.1 fait counts for an EPCI of 45 000; a commune of 2 000 has it désactivé.
    services.set_statut(collectivite, editor.user, "cae_6.1.2.2.1", "fait")
    before = services.scores(collectivite, "cae")
    assert not before["cae_6.1.2.2.1"]["desactive"]
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/parametres/"
    assert "plus_de_20000" in client.get(page).content.decode()

    response = client.post(
        page, {**IDENTITE, "nom": "Ville de démo", "type": "commune", "population": "2 000"}
    )
    assert response.status_code == 302 and response["Location"] == page
    collectivite.refresh_from_db()
    assert (collectivite.nom, collectivite.type, collectivite.population) == (
        "Ville de démo",
        "commune",
        2_000,
    )
    after = services.scores(collectivite, "cae")
    assert after["cae_6.1.2.2.1"]["desactive"] and after["cae"] != before["cae"]
    assert ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores == after
    entry = HistoryEntry.objects.get(kind="identite")
    assert entry.user == admin.user
    renamed = HistoryEntry.objects.get(kind="nom")
    assert (renamed.user, renamed.previous, renamed.new) == (
        admin.user,
        "Communauté de démo",
        "Ville de démo",
    )
    assert renamed.pk < entry.pk  # the identity's entry is the newest: the change the scores reflect
    assert entry.previous == {"type": "EPCI", "population": 45_000, "localisation": "Metropole"}
    assert entry.new == {"type": "commune", "population": 2_000, "localisation": "Metropole"}

    shown = client.get(page).content.decode()
    assert "Paramètres enregistrés" in shown  # the message after the redirect
    tags = shown.split('data-testid="etiquettes"')[1].split("</dl>")[0]
    assert "moins_de_3000" in tags and "plus_de_20000" not in tags and ">commune<" in tags
    # The same values again: nothing to record.
    client.post(page, {**IDENTITE, "nom": "Ville de démo", "type": "commune", "population": "2000"})
    assert HistoryEntry.objects.filter(kind="identite").count() == 1
    assert HistoryEntry.objects.filter(kind="nom").count() == 1


def test_a_name_change_alone_is_in_the_history_and_rescores_nothing(
    collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    rescorings = count_rescorings(monkeypatch)
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/parametres/"
    assert client.post(page, {**IDENTITE, "nom": "  Ville de démo "}).status_code == 302
    collectivite.refresh_from_db()
    assert collectivite.nom == "Ville de démo"  # trimmed
    entry = HistoryEntry.objects.exclude(kind="statut").get()
    assert (entry.kind, entry.subject, entry.user, entry.previous, entry.new) == (
        "nom",
        "nom",
        admin.user,
        "Communauté de démo",
        "Ville de démo",
    )
    assert rescorings == []
    html = client.get(f"/c/{collectivite.pk}/historique/").content.decode()
    row = html.split(f'data-testid="entree-{entry.pk}"')[1].split("</tr>")[0]
    assert "Nom de la collectivité" in row and ">Communauté de démo<" in row and ">Ville de démo<" in row


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("population", "beaucoup", "nombre entier"),
        ("population", "-5", "nombre entier"),
        ("population", "999999999999", "au plus"),
        ("type", "metropole", "type inconnu"),
        ("localisation", "Mars", "localisation inconnue"),
        ("nom", "  ", "entre 1 et 200"),
        ("nom", "x" * 201, "entre 1 et 200"),
    ],
)
def test_bad_input_is_a_readable_400_and_writes_nothing(
    collectivite: Collectivite, field: str, value: str, reason: str
) -> None:
    client = logged_in(make_member(collectivite, Role.ADMIN, "ada"))
    # A valid change beside the bad one: it must not be written either.
    response = client.post(f"/c/{collectivite.pk}/parametres/", {**IDENTITE, "type": "commune", field: value})
    assert response.status_code == 400
    message = response.content.decode().split('data-testid="parametres-erreur">')[1].split("</p>")[0]
    assert message.startswith(f"{field} : ") and reason in message
    collectivite.refresh_from_db()
    assert collectivite.type == "EPCI" and collectivite.nom == "Communauté de démo"
    assert not HistoryEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.LECTURE, Role.EDITION, Role.CONSEILLER, Role.AUDITEUR])
def test_only_the_admin_writes_others_read(collectivite: Collectivite, role: str) -> None:
    client = logged_in(make_member(collectivite, role, "personne"))
    page = f"/c/{collectivite.pk}/parametres/"
    shown = client.get(page)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert 'data-testid="parametres-form"' not in html and "45\xa0000 habitants" in html
    assert client.post(page, {**IDENTITE, "type": "commune"}).status_code == 403
    collectivite.refresh_from_db()
    assert collectivite.type == "EPCI" and not HistoryEntry.objects.exists()
    foreign = make_collectivite("Ailleurs", "commune", 900)
    assert client.get(f"/c/{foreign.pk}/parametres/").status_code == 404
    admin_elsewhere = logged_in(make_member(foreign, Role.ADMIN, "ada"))
    assert admin_elsewhere.post(page, {**IDENTITE, "type": "commune"}).status_code == 404


def test_parse_population() -> None:
    assert parse_population("45 000") == 45_000 and parse_population("45\u202f000") == 45_000
    with pytest.raises(InputError):
        parse_population("4,5")
