"""The mesure page: refused statuts keep what was typed, and what decides a row's points and statut is
said on the row."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts.models import StatutRecord
from jalon.web.statuts.services import MAX_TEXT

from .conftest import Member

pytestmark = pytest.mark.django_db


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


def row(html: str, action_id: str) -> str:
    return html.split(f'data-testid="row-{action_id}"')[1].split("</tr>")[0]


def mesure_url(collectivite: Collectivite, mesure: str = "cae_6.1.1") -> str:
    return f"/c/{collectivite.pk}/action/{mesure}/"


@pytest.mark.parametrize("htmx", [True, False])
def test_a_detaille_that_does_not_add_up_keeps_the_typed_values(
    collectivite: Collectivite, editor: Member, htmx: bool
) -> None:
    headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    typed = {"action_id": "cae_6.1.1.2.1", "avancement": "detaille", "fait": "50", "programme": "40"}
    response = logged_in(editor).post(mesure_url(collectivite), {**typed, "pas_fait": ""}, **headers)
    assert response.status_code == 400
    html = response.content.decode()
    refused = row(html, "cae_6.1.1.2.1")
    # The reason in French, beside the row's fields, and not the raw « detaille : … ».
    assert "Les trois pourcentages doivent faire 100 au total (ici 90)." in refused
    assert 'role="alert"' in refused and "detaille :" not in html
    # What was typed is still there, and the row says it is not saved.
    assert '<option value="detaille" selected>' in refused
    assert 'name="fait" type="number" min="0" max="100" step="5" placeholder="% fait" value="50"' in refused
    assert 'placeholder="% programmé" value="40"' in refused
    assert "data-unsaved data-refused" in refused
    assert not StatutRecord.objects.exists()
    # The other rows show what is saved.
    assert '<option value="detaille" selected>' not in row(html, "cae_6.1.1.2.2")


def test_a_detaille_with_a_word_or_an_odd_percentage_says_which_field(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    base = {"action_id": "cae_6.1.1.2.1", "avancement": "detaille", "fait": "50", "pas_fait": "50"}
    word = client.post(mesure_url(collectivite), {**base, "programme": "x"}, HTTP_HX_REQUEST="true")
    assert escape("Les pourcentages sont des nombres entiers : « x » ne l'est pas (% programmé).") in row(
        word.content.decode(), "cae_6.1.1.2.1"
    )
    odd = client.post(
        mesure_url(collectivite), {**base, "fait": "33", "programme": "17"}, HTTP_HX_REQUEST="true"
    )
    assert "Chaque pourcentage est un multiple de 5 entre 0 et 100 : % fait vaut 33." in row(
        odd.content.decode(), "cae_6.1.1.2.1"
    )
    assert not StatutRecord.objects.exists()


def test_a_refused_explication_keeps_the_typed_text(collectivite: Collectivite, editor: Member) -> None:
    texte = "x" * (MAX_TEXT + 1)
    response = logged_in(editor).post(
        mesure_url(collectivite), {"action_id": "cae_6.1.1.2", "texte": texte}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    refused = row(response.content.decode(), "cae_6.1.1.2")
    assert "Explication : texte trop long" in refused and f">{texte}</textarea>" in refused
    assert "<details open>" in refused and "data-unsaved data-refused" in refused
