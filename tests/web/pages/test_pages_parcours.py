"""The parcours de labellisation page: the state and the label in force, the forms of the actions the viewer
may take (CSRF-protected), a refusal in French beside its form with nothing written, jalons and their
comparison; members, the staff and assigned auditors see it, nobody else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.labellisation import models, services
from jalon.web.statuts.services import set_statut
from tests.web.conftest import Member, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, PILOTES, everything_fait, snapshot, staff_user

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, collectivite: Collectivite, query: str = "") -> str:
    response = client.get(f"/c/{collectivite.pk}/labellisation/{query}")
    assert response.status_code == 200
    return response.content.decode()


def forms(html: str) -> list[str]:
    """The actions whose forms the page shows for the référentiel cae."""
    return re.findall(r'data-testid="action-cae-([a-z_]+)"', html)


def post(client: Client, collectivite: Collectivite, action: str, **data: str) -> int:
    response = client.post(
        f"/c/{collectivite.pk}/labellisation/", {"referentiel": "cae", "action": action, **data}
    )
    return response.status_code


def test_a_reader_sees_the_state_and_no_action(collectivite: Collectivite) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea").user
    html = page(logged_in(lecteur), collectivite)
    assert "Aucun label en vigueur." in html
    assert "non demandée (cycle 1)" in html
    assert forms(html) == []
    assert 'data-testid="figer-cae"' not in html
    assert post(logged_in(lecteur), collectivite, "demander", etoile="1", document=DOCUMENT) == 403
    assert not models.Cycle.objects.exists()


def test_strangers_get_404_and_staff_see_the_page(collectivite: Collectivite) -> None:
    stranger = make_member(None, None, "sam").user
    assert logged_in(stranger).get(f"/c/{collectivite.pk}/labellisation/").status_code == 404
    html = page(logged_in(staff_user()), collectivite)
    assert forms(html) == []  # nothing to do for the staff before a demande
    assert "Équipe de la plateforme" in html


def test_an_editor_sees_the_demande_form_and_its_refusal_beside_it_in_french(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor.user)
    html = page(client, collectivite)
    assert forms(html) == ["demander"]
    form = html.split('data-testid="action-cae-demander"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in form and "Demander la labellisation ou l&#x27;audit" in form
    before = snapshot(collectivite)
    response = client.post(
        f"/c/{collectivite.pk}/labellisation/",
        {"referentiel": "cae", "action": "demander", "etoile": "1", "document": ""},
    )
    assert response.status_code == 400
    refused = response.content.decode().split('data-testid="erreur-cae-demander"')[1].split("</div>")[0]
    assert "Demande de la 1re étoile refusée : il manque" in refused
    assert "<li>Complétude d&#x27;au moins 100 %" in refused
    assert snapshot(collectivite) == before


def test_a_post_without_its_csrf_token_is_refused(collectivite: Collectivite, editor: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor.user)
    response = client.post(
        f"/c/{collectivite.pk}/labellisation/", {"referentiel": "cae", "action": "figer", "nom": "x"}
    )
    assert response.status_code == 403
    assert not models.Jalon.objects.exists()


def test_a_whole_parcours_through_the_page_shows_each_person_their_buttons(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    edith = logged_in(editor.user)
    for action_id in PILOTES:
        assert post(edith, collectivite, "pilote", action_id=action_id, pilote="Camille Martin") == 302
    assert post(edith, collectivite, "demander", etoile="2", document=DOCUMENT) == 302
    html = page(edith, collectivite)
    assert "demande envoyée (cycle 1)" in html
    assert "Labellisation, 2e étoile, envoyée le" in html and "(avec audit)" in html
    assert forms(html) == []  # the editor waits

    stella = logged_in(staff_user())
    assert forms(page(stella, collectivite)) == ["affecter_auditeur", "retirer_auditeur", "decider"]
    audrey_user = make_member(None, None, "audrey").user
    assert post(stella, collectivite, "affecter_auditeur", auditeur="audrey") == 302

    audrey = logged_in(audrey_user)  # not a member: she sees the page as its assigned auditor
    html = page(audrey, collectivite)
    assert "audrey" in html.split('data-testid="auditeurs-cae"')[1].split("</dd>")[0]
    assert forms(html) == ["demarrer_audit"]
    assert post(audrey, collectivite, "demarrer_audit") == 302
    assert forms(page(audrey, collectivite)) == ["auditer_mesure", "joindre_rapport", "valider_audit"]
    assert (
        post(audrey, collectivite, "auditer_mesure", mesure="cae_6.1.1", statut="audite", avis="Solide.")
        == 302
    )
    assert post(audrey, collectivite, "valider_audit") == 302
    # A second validation is refused beside nothing (no form): the engine's state refusal, 400.
    assert post(audrey, collectivite, "valider_audit") == 400

    # The staff decides without an audit validated? No: here it is validated.
    assert post(stella, collectivite, "decider", obtenu="oui") == 302
    html = page(edith, collectivite)
    assert "labellisée (cycle 1)" in html
    label = html.split('data-testid="label-cae"')[1].split("</dd>")[0]
    assert "5e étoile obtenue le" in label and "(100 % fait, 0 % programmé)" in label
    obtained = html.split('data-testid="labels-cae"')[1].split("</ul>")[0]
    assert "inclus : 100 % fait, 0 % programmé" in obtained
    assert forms(html) == ["nouveau_cycle"]
    assert "Solide." in html.split('data-testid="notes-cae"')[1]
    jalons = html.split('data-testid="jalons-cae"')[1].split("</ul>")[0]
    assert "Pré-audit" in jalons and "Post-audit" in jalons


def test_a_jalon_is_frozen_from_the_page_and_compared_with_now(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor.user)
    set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    assert post(client, collectivite, "figer", nom="Avant l'été") == 302
    assert post(client, collectivite, "figer", nom="   ") == 400
    jalon = models.Jalon.objects.get()
    set_statut(collectivite, editor.user, "cae_6.1.1.2", "programme")
    html = page(client, collectivite, f"?referentiel=cae&avant={jalon.pk}&apres=maintenant")
    table = html.split('data-testid="comparaison-cae"')[1].split("</table>")[0]
    assert "cae_6.1.1.2" in table
    statuts = html.split('data-testid="statuts-changes-cae"')[1].split("</table>")[0]
    assert "<td>non renseigné</td><td>programmé</td>" in statuts
    bad = page(client, collectivite, "?referentiel=cae&avant=999999&apres=maintenant")
    assert "jalon : jalon inconnu : 999999" in bad


def test_the_history_lists_the_steps_of_the_parcours_in_french(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    edith = logged_in(editor.user)
    assert post(edith, collectivite, "pilote", action_id=PILOTES[0], pilote="Camille Martin") == 302
    assert post(edith, collectivite, "figer", nom="Dossier") == 302
    assert post(edith, collectivite, "demander", etoile="1", document=DOCUMENT) == 302
    response = edith.get(f"/c/{collectivite.pk}/historique/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Parcours de labellisation (cae)" in html
    assert "Demander la labellisation ou l&#x27;audit : demande envoyée (cycle 1)" in html
    assert "non demandée (cycle 1)" in html
    assert "Jalon (cae)" in html and "« Dossier » figé le" in html
    assert "Pilote de 6.1.2.1.1 " in html and "Camille Martin" in html  # linked to its mesure
    assert f'href="/c/{collectivite.pk}/labellisation/"' in html


def test_the_dashboard_shows_the_star_obtained_once_the_commission_granted_it(
    collectivite: Collectivite, editor: Member
) -> None:
    everything_fait(collectivite, editor)
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=1, document=DOCUMENT)
    jalon = services.figer_jalon(collectivite, editor.user, "cae", "Dossier")
    services.decider(collectivite, staff_user(), "cae", True, jalon.pk)
    html = logged_in(editor.user).get(f"/c/{collectivite.pk}/").content.decode()
    today = timezone.localdate()
    last = (today.replace(year=today.year + 4) - timedelta(days=1)).strftime("%d/%m/%Y")
    assert (
        f"Étoile obtenue : 1re étoile, le {today.strftime('%d/%m/%Y')} (valable jusqu&#x27;au {last} inclus)"
        in html
    )


def test_a_free_jalon_is_renamed_and_deleted_from_the_page(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor.user)
    assert post(client, collectivite, "figer", nom="Brouillon") == 302
    jalon = models.Jalon.objects.get()
    html = page(client, collectivite)
    assert f'data-testid="renommer-{jalon.pk}"' in html and f'data-testid="supprimer-{jalon.pk}"' in html
    assert post(client, collectivite, "renommer", jalon=str(jalon.pk), nom="Printemps") == 302
    assert models.Jalon.objects.get().nom == "Printemps"
    assert post(client, collectivite, "renommer", jalon=str(jalon.pk), nom="") == 400
    assert post(client, collectivite, "supprimer", jalon=str(jalon.pk)) == 302
    assert not models.Jalon.objects.exists()
    lecteur = make_member(collectivite, Role.LECTURE, "lea").user
    assert post(logged_in(lecteur), collectivite, "supprimer", jalon="1") == 403
