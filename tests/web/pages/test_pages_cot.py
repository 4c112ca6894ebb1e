"""A collectivité under a Contrat d'Objectif Territorial (COT): set by its admin on the parameters page,
in the history, and what it opens in the parcours: a demande of an audit alone, without a star."""

from __future__ import annotations

import pytest

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, logged_in, make_member

pytestmark = pytest.mark.django_db

IDENTITE = {"nom": "Communauté de démo", "type": "EPCI", "population": "45000", "localisation": "Metropole"}


def test_the_admin_sets_the_cot_flag_and_it_is_in_the_history(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/parametres/"
    assert "sous COT" in client.get(page).content.decode()
    assert client.post(page, {**IDENTITE, "cot": "on"}).status_code == 302
    collectivite.refresh_from_db()
    assert collectivite.cot is True
    entry = HistoryEntry.objects.get(kind=Kind.COT)
    assert (entry.previous, entry.new, entry.user) == (False, True, admin.user)
    html = client.get(f"/c/{collectivite.pk}/historique/").content.decode()
    row = html.split(f'data-testid="entree-{entry.pk}"')[1].split("</tr>")[0]
    assert "Contrat d&#x27;Objectif Territorial" in row and "Hors COT" in row and "Sous COT" in row
    # Unchecked: back out of the COT; the same values again record nothing more.
    client.post(page, IDENTITE)
    client.post(page, IDENTITE)
    collectivite.refresh_from_db()
    assert collectivite.cot is False and HistoryEntry.objects.filter(kind=Kind.COT).count() == 2


def test_only_a_collectivite_under_cot_is_offered_an_audit_alone(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    page = f"/c/{collectivite.pk}/labellisation/"
    assert 'value="cot"' not in client.get(page).content.decode()
    collectivite.cot = True
    collectivite.save(update_fields=["cot"])
    html = client.get(page).content.decode()
    assert 'value="cot"' in html and "Audit seul (COT)" in html


def test_an_audit_alone_is_refused_to_a_collectivite_not_under_cot(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    response = client.post(
        f"/c/{collectivite.pk}/labellisation/",
        {"referentiel": "cae", "action": "demander", "sujet": "cot", "document": "https://exemple.fr/d.pdf"},
    )
    assert "réservé aux collectivités en COT" in response.content.decode()
    assert not HistoryEntry.objects.filter(kind=Kind.PARCOURS).exists()
