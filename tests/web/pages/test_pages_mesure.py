"""The mesure page: refused statuts keep what was typed, and what decides a row's points and statut is
said on the row."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.pages.common import loaded, preorder
from jalon.web.pages.mesure import _points_change
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts import services
from jalon.web.statuts.models import StatutRecord
from jalon.web.statuts.services import MAX_TEXT
from tests.web.conftest import Member, make_member

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


def test_a_tache_under_a_sous_mesure_with_its_own_statut_says_the_sous_mesure_decides(
    collectivite: Collectivite, editor: Member
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "programme")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2", "fait")
    html = logged_in(editor).get(mesure_url(collectivite)).content.decode()
    note = escape(
        "Le statut de la sous-mesure 6.1.1.2 (Fait) s'applique : celui de cette tâche ne compte pas."
    )
    for tache in ("cae_6.1.1.2.1", "cae_6.1.1.2.2"):  # with a statut of its own, and without
        tache_row = row(html, tache)
        assert note in tache_row and "supplante" in html.split(f'data-testid="row-{tache}"')[0][-80:]
        assert "En choisir un ici retire celui de la sous-mesure." in tache_row
    assert '<option value="programme" selected>' in row(html, "cae_6.1.1.2.1")  # still shown, greyed
    # The tâches of a sous-mesure without a statut of its own are not annotated.
    assert "supplante-note" not in row(html, "cae_6.1.1.3.1")
    # A lecture member sees the same reason, without the hint about choosing.
    reader = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    read_row = row(reader.get(mesure_url(collectivite)).content.decode(), "cae_6.1.1.2.1")
    assert note in read_row and "En choisir un" not in read_row


def test_a_sous_mesure_scored_by_its_taches_says_par_taches(
    collectivite: Collectivite, editor: Member
) -> None:
    for tache in ("cae_6.1.1.1.1", "cae_6.1.1.1.2"):
        services.set_statut(collectivite, editor.user, tache, "fait")
    html = logged_in(editor).get(mesure_url(collectivite)).content.decode()
    sous_mesure = row(html, "cae_6.1.1.1")
    assert '<option value="non_renseigne" selected>Par tâches</option>' in sous_mesure
    assert "Non renseigné" not in sous_mesure and 'class="s-par_taches"' in sous_mesure
    # Without any tâche statut, a sous-mesure is still « Non renseigné ».
    assert '<option value="non_renseigne" selected>Non renseigné</option>' in row(html, "cae_6.1.1.3")
    # With a statut of its own, that statut is selected; going back to the tâches is « Par tâches ».
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1", "programme")
    own = row(logged_in(editor).get(mesure_url(collectivite)).content.decode(), "cae_6.1.1.1")
    assert '<option value="programme" selected>' in own and '<option value="non_renseigne">Par tâches' in own
    reader = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1", None)
    assert '<span class="muted">par tâches</span>' in row(
        reader.get(mesure_url(collectivite)).content.decode(), "cae_6.1.1.1"
    )


def test_preuves_are_listed_on_their_actions(collectivite: Collectivite, editor: Member) -> None:
    html = logged_in(editor).get(mesure_url(collectivite)).content.decode()
    listed = row(html, "cae_6.1.1.3")
    assert "<summary>Preuves attendues (1)</summary>" in listed
    assert "<strong>Convention de partenariat signée, avec ses objectifs et son calendrier</strong>" in listed
    assert "La convention ou la charte signée avec les partenaires" in listed
    assert "Preuves attendues" not in row(html, "cae_6.1.1.2")
    other = logged_in(editor).get(mesure_url(collectivite, "cae_6.1.2")).content.decode()
    for action_id in ("cae_6.1.2.1", "cae_6.1.2.3"):  # one preuve for two actions
        assert "Compte rendu de la dernière réunion des élus référents climat" in row(other, action_id)


def points_change(html: str, action_id: str) -> str:
    found = row(html, action_id).split(f'data-testid="points-change-{action_id}">')
    return found[1].split("</span>")[0] if len(found) > 1 else ""


def test_a_change_of_points_names_its_cause(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "non_concerne")
    html = client.get(mesure_url(collectivite)).content.decode()
    assert "avant personnalisation" not in html
    assert (
        points_change(html, "cae_6.1.1.2.1")
        == "(0,3 au référentiel : non concernée (statut de la collectivité))"
    )
    assert points_change(html, "cae_6.1.1.2.2") == (
        "(0,3 au référentiel : reçoit une part des points de 6.1.1.2.1, non concernée ou désactivée)"
    )
    assert points_change(html, "cae_6.1.1.2") == "" and points_change(html, "cae_6.1.1.3.1") == ""

    # A sous-mesure non concernée: its tâches say so, and its siblings and their tâches receive.
    services.set_statut(collectivite, editor.user, "cae_6.1.1.4", "non_concerne")
    html = client.get(mesure_url(collectivite)).content.decode()
    assert points_change(html, "cae_6.1.1.4.1").endswith(
        "au référentiel : sa sous-mesure 6.1.1.4 non concernée (statut de la collectivité))"
    )
    assert "reçoit une part des points de 6.1.1.4," in points_change(html, "cae_6.1.1.3")
    assert "comme sa sous-mesure 6.1.1.3 (voir sa ligne)" in points_change(html, "cae_6.1.1.3.1")

    # Every tâche non concernée: the sous-mesure is too.
    for tache in ("cae_6.1.1.1.1", "cae_6.1.1.1.2"):
        services.set_statut(collectivite, editor.user, tache, "non_concerne")
    html = client.get(mesure_url(collectivite)).content.decode()
    assert points_change(html, "cae_6.1.1.1").endswith(": non concernée : toutes ses tâches le sont)")

    # Désactivée by the demo's rule: the tâche and its siblings say so.
    services.set_reponse(collectivite, editor.user, "demo_cep", "demo_cep_syndicat")
    html = client.get(mesure_url(collectivite, "cae_6.1.2")).content.decode()
    assert points_change(html, "cae_6.1.2.2.1").endswith(": désactivée par une règle de personnalisation)")
    assert "reçoit une part des points de 6.1.2.2.1" in points_change(html, "cae_6.1.2.2.2")


def test_the_mesure_line_names_what_changed_its_points(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    html = client.get(mesure_url(collectivite)).content.decode()
    assert "potentiel de la collectivité : 6,0 — le potentiel est celui du référentiel" in html
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    html = client.get(mesure_url(collectivite)).content.decode()
    line = html.split('data-testid="mesure-points">')[1].split("</p>")[0]
    assert "somme de ses sous-mesures (6.1.1.5 : voir leur ligne)" in line
    # Its potentiel, the sum of its sous-mesures, is below its points: the official engine shares the
    # difference among all of them.
    assert points_change(html, "cae_6.1.1.1").endswith(
        ": sa mesure 6.1.1 passe à 5,25 points, répartis au prorata (× 0,875))"
    )


@pytest.fixture
def official(collectivite: Collectivite, referentiels_dir: Path) -> Collectivite:
    """The collectivité, with the official CAE/ECI imported as the current version."""
    import_folder(referentiels_dir)
    return collectivite


def test_regulatory_sous_mesures_say_they_are_prerequisites(official: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    html = client.get(mesure_url(official, "cae_1.1.2")).content.decode()
    assert "0,0 / 0,0" in row(html, "cae_1.1.2.0")
    assert "Prérequis réglementaire du label : 0 point, mais exigé pour la labellisation" in row(
        html, "cae_1.1.2.0"
    )
    assert "Prérequis réglementaire du label (sous-mesure 1.1.2.0)" in row(html, "cae_1.1.2.0.1")
    assert "Prérequis réglementaire" not in row(html, "cae_1.1.2.1")
    eci = client.get(mesure_url(official, "eci_2.4")).content.decode()
    assert "Prérequis réglementaire du label : 0 point" in row(eci, "eci_2.4.0")


def test_official_preuves_and_texts_on_the_mesure_page(official: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    html = client.get(mesure_url(official, "cae_1.1.1")).content.decode()
    listed = row(html, "cae_1.1.1.3")
    assert "Preuves attendues (" in listed
    assert "<strong>Rapports diagnostic, stratégie et plan d&#x27;actions du PCAET</strong>" in listed
    assert "PCAET avec EES et résumé non technique" in listed
    # The Contexte of 6.1.1 shows its links as links.
    page = client.get(mesure_url(official, "cae_6.1.1")).content.decode()
    assert (
        '<a href="https://www.diplomatie.gouv.fr" rel="noopener noreferrer">https://www.diplomatie.gouv.fr</a>'
        in page
    )
    assert "&lt;a href" not in page


def test_official_points_changes_name_their_cause(official: Collectivite, editor: Member) -> None:
    # An EPCI of 45 000 inhabitants: the rules désactivent 1.1.2.1 (to 0 first: nothing to share) and
    # raise 1.1.2.2 by 5/4.
    html = logged_in(editor).get(mesure_url(official, "cae_1.1.2")).content.decode()
    assert (
        points_change(html, "cae_1.1.2.1")
        == "(2,0 au référentiel : désactivée par une règle de personnalisation)"
    )
    assert points_change(html, "cae_1.1.2.1.1") == (
        "(0,4 au référentiel : sa sous-mesure 1.1.2.1 désactivée par une règle de personnalisation)"
    )
    assert (
        points_change(html, "cae_1.1.2.2")
        == "(4,0 au référentiel : augmentée par une règle de personnalisation (× 1,25))"
    )
    assert (
        points_change(html, "cae_1.1.2.2.1")
        == "(0,8 au référentiel : comme sa sous-mesure 1.1.2.2 (voir sa ligne))"
    )


def test_a_perso_above_the_mesures_is_not_taken_for_a_reduction(
    collectivite: Collectivite, editor: Member
) -> None:
    # A « score » rule gives the axe and the root a point_potentiel_perso (SCORING-SPEC §2.4, phase 6):
    # it is no reduction factor of the mesures below.
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    scores = {k: dict(v) for k, v in services.scores(collectivite, "cae").items()}
    scores["cae"]["point_potentiel_perso"] = 400.0
    scores["cae_6"]["point_potentiel_perso"] = 400.0
    referentiel = loaded().referentiels["cae"]
    change = _points_change(referentiel, referentiel.actions["cae_6.1.1.1"], scores, {})
    assert change == "sa mesure 6.1.1 passe à 5,25 points, répartis au prorata (× 0,875)"


def test_rounded_personalised_points_are_no_rule_of_their_own(
    collectivite: Collectivite, editor: Member
) -> None:
    # A tâche with a rule that does not change it (a désactivation not in force) has a
    # point_potentiel_perso rounded to 3 decimals: 0.151 for 0.3 × 0.5 under 6.1.1.5, halved by the demo.
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    scores = {k: dict(v) for k, v in services.scores(collectivite, "cae").items()}
    scores["cae_6.1.1.5.1"]["point_potentiel_perso"] = 0.151
    referentiel = loaded().referentiels["cae"]
    change = _points_change(referentiel, referentiel.actions["cae_6.1.1.5.1"], scores, {})
    assert change == "comme sa sous-mesure 6.1.1.5 (voir sa ligne)"


def test_every_official_mesure_page_names_each_change_of_points(
    official: Collectivite, editor: Member
) -> None:
    # A twelfth of the sous-mesures and tâches given a statut (non concernée often), the first answers
    # given: every mesure page renders, and each row whose potentiel is not its référentiel's says why.
    rng = random.Random(8)
    referentiels = loaded()
    for referentiel in referentiels.referentiels.values():
        below = [a.id for a in referentiel.actions.values() if a.depth > referentiel.action_level]
        for action_id in rng.sample(below, len(below) // 12):
            avancement = rng.choice(["fait", "programme", "pas_fait", "non_concerne", "non_concerne"])
            with contextlib.suppress(InputError):  # a désactivé action takes no statut
                services.set_statut(official, editor.user, action_id, avancement)
    for question in list(referentiels.questions.values())[:15]:
        valeur = "NON" if question.type == "binaire" else question.choix[0].id if question.choix else 0.5
        services.set_reponse(official, editor.user, question.id, valeur)
    client = logged_in(editor)
    seen = 0
    for referentiel in referentiels.referentiels.values():
        scores = services.scores(official, referentiel.id)
        for mesure in (a for a in referentiel.actions.values() if a.depth == referentiel.action_level):
            response = client.get(mesure_url(official, mesure.id))
            assert response.status_code == 200, mesure.id
            html = response.content.decode()
            for action_id in preorder(referentiel, mesure.id):
                s = scores[action_id]
                changed = s["point_potentiel"] != s["point_referentiel"]
                assert bool(points_change(html, action_id)) == changed, action_id
                seen += changed
    assert seen > 100  # rows with a change of points, each with its cause


def test_the_tree_says_which_sous_mesures_are_prerequisites(official: Collectivite, editor: Member) -> None:
    html = logged_in(editor).get(f"/c/{official.pk}/cae/", {"q": "1.1.2"}).content.decode()
    assert 'data-testid="prerequis-cae_1.1.2.0"' in html
    assert 'data-testid="prerequis-cae_1.1.2.1"' not in html
    assert html.count("Prérequis réglementaire du label") == 1
