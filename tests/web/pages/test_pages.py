"""Server-rendered pages: login, dashboard, tree, mesure page with statut controls, permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jalon.web.collectivites.models import ApiToken, Collectivite, Invitation, Membership, Role
from jalon.web.pages.common import bar_html, entier, loaded, nombre
from jalon.web.pages.views import AxeBar, forts_et_faibles
from jalon.web.statuts import services
from jalon.web.statuts.models import Explication, HistoryEntry, StatutRecord
from tests.web.conftest import Member, logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def test_login_page_and_redirect_when_anonymous(collectivite: Collectivite) -> None:
    client = Client()
    assert client.get(f"/c/{collectivite.pk}/").status_code == 302
    assert "Connexion" in client.get("/connexion/").content.decode()


def test_editor_sets_a_tache_and_sees_the_scores_change(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    assert "0 étoile" not in client.get(f"/c/{collectivite.pk}/").content.decode()
    page = f"/c/{collectivite.pk}/action/cae_6.1.1/"
    before = client.get(page).content.decode()
    response = client.post(page, {"action_id": "cae_6.1.1.1.1", "avancement": "fait"})
    assert response.status_code == 302
    after = client.get(page).content.decode()
    assert after != before and StatutRecord.objects.filter(action_id="cae_6.1.1.1.1").exists()
    fait = services.scores(collectivite, "cae")["cae_6.1.1.1.1"]["point_fait"]
    assert f"{fait} / ".replace(".", ",") in after  # French number format
    dashboard = client.get(f"/c/{collectivite.pk}/").content.decode()
    assert "étoile" in dashboard and "% fait" in dashboard
    assert client.get(f"/c/{collectivite.pk}/cae/").status_code == 200


def test_bad_detaille_shows_a_readable_message(collectivite: Collectivite, editor: Member) -> None:
    response = logged_in(editor).post(
        f"/c/{collectivite.pk}/action/cae_6.1.1/",
        {
            "action_id": "cae_6.1.1.2.1",
            "avancement": "detaille",
            "fait": "50",
            "programme": "30",
            "pas_fait": "30",
        },
    )
    assert response.status_code == 400
    assert "100 au total" in response.content.decode()
    assert not StatutRecord.objects.exists()


def test_lecture_cannot_edit_and_outsiders_see_nothing(collectivite: Collectivite) -> None:
    reader = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    page = f"/c/{collectivite.pk}/action/cae_6.1.1/"
    assert "<select" not in reader.get(page).content.decode()
    assert reader.post(page, {"action_id": "cae_6.1.1.1.1", "avancement": "fait"}).status_code == 403
    assert not StatutRecord.objects.exists()
    foreign = make_collectivite("Ailleurs", "commune", 900)
    assert reader.get(f"/c/{foreign.pk}/").status_code == 404
    assert reader.get(f"/c/{foreign.pk}/action/cae_6.1.1/").status_code == 404


def test_htmx_statut_write_answers_the_rows_and_scores_in_place(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    page = f"/c/{collectivite.pk}/action/cae_6.1.1/"
    full = client.get(page).content.decode()
    assert "htmx-2.min.js" in full and 'data-testid="statut-cae_6.1.1.1.1"' in full
    response = client.post(page, {"action_id": "cae_6.1.1.1.1", "avancement": "fait"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="mesure-live">') and "<html" not in fragment
    scores = services.scores(collectivite, "cae")
    mesure = scores["cae_6.1.1"]
    root = scores["cae"]
    assert isinstance(root["point_fait"], float) and isinstance(root["point_potentiel"], float)
    root_pct = str(round(100 * root["point_fait"] / root["point_potentiel"], 1))
    assert root["point_fait"] > 0
    assert f"Mesure : {mesure['point_fait']} / ".replace(".", ",") in fragment
    assert f"{root_pct.replace('.', ',')} % fait" in fragment.split('data-testid="root-score"')[1]
    # Bad input: a 400 fragment with the reason, swapped in like a success (see base.html's htmx-config).
    bad = client.post(
        page,
        {"action_id": "cae_6.1.1.2.1", "avancement": "detaille", "fait": "50", "programme": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 400
    assert 'role="alert"' in bad.content.decode() and "nombres entiers" in bad.content.decode()


def test_htmx_script_is_served_without_debug(collectivite: Collectivite) -> None:
    response = Client().get("/static/django_htmx/htmx-2.min.js")
    assert response.status_code == 200
    assert b"htmx" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_tree_filters_by_statut_categorie_and_text(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    client = logged_in(editor)
    base = f"/c/{collectivite.pk}/cae/"
    everything = client.get(base).content.decode()
    assert everything.count('data-testid="row-') > 10
    fait = client.get(base, {"statut": "fait"}).content.decode()
    # The sous-mesure holding the fait tâche, with its mesure and axe around it, and nothing else.
    rows = {line.split('data-testid="row-')[1].split('"')[0] for line in fait.splitlines() if "row-" in line}
    assert rows == {"cae", "cae_6", "cae_6.1", "cae_6.1.1", "cae_6.1.1.1"}
    bases = client.get(base, {"categorie": "bases"}).content.decode()
    assert 'data-testid="row-cae_6.1.1.1"' in bases and 'data-testid="row-cae_6.1.1.2"' not in bases
    text = client.get(base, {"q": "international"}).content.decode()
    assert 'data-testid="row-cae_6.1.1.5"' in text and 'data-testid="row-cae_6.1.1.1"' not in text
    none = client.get(base, {"statut": "programme"}).content.decode()
    assert "Aucune action ne correspond" in none
    bad = client.get(base, {"statut": "presque"})
    assert bad.status_code == 400 and "valeur inconnue" in bad.content.decode()
    assert everything.count('class="bar"') == everything.count('data-testid="row-')  # a bar on every node


def test_tree_rows_show_statut_badges_points_and_links(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2", "programme")
    page = logged_in(editor).get(f"/c/{collectivite.pk}/cae/").content.decode()

    def row(action_id: str) -> str:
        return page.split(f'data-testid="row-{action_id}"')[1].split("</tr>")[0]

    assert '<span class="statut s-programme">Programmé</span>' in row("cae_6.1.1.2")
    assert "par tâches" in row("cae_6.1.1.1")  # its statut comes from its tâches
    assert '<span class="statut s-non_renseigne">Non renseigné</span>' in row("cae_6.1.1.3")
    assert "statut" not in row("cae_6.1.1")  # a mesure takes no statut of its own
    points = services.scores(collectivite, "cae")["cae_6.1.1.2"]
    expected = f"{points['point_fait']} / {points['point_potentiel']}".replace(".", ",")
    assert f'<td class="num">{expected}</td>' in row("cae_6.1.1.2")
    assert f'<a href="/c/{collectivite.pk}/action/cae_6.1.1.2/">6.1.1.2 ' in row("cae_6.1.1.2")
    assert "<a " not in row("cae_6")  # axes have no page
    # Depth first: a mesure's sous-mesures come before the next mesure.
    order = [line.split('data-testid="row-')[1].split('"')[0] for line in page.splitlines() if "row-" in line]
    assert order[:5] == ["cae", "cae_6", "cae_6.1", "cae_6.1.1", "cae_6.1.1.1"]
    assert order.index("cae_6.1.1.5") < order.index("cae_6.1.2") < order.index("cae_6.1.2.1")


def test_mesure_rows_have_compact_statut_and_explication_controls(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    page = client.get(f"/c/{collectivite.pk}/action/cae_6.1.1/").content.decode()
    tache = page.split('data-testid="row-cae_6.1.1.1.1"')[1].split("</tr>")[0]
    # The three % in their own group (shown by the stylesheet for « Détaillé » only), with full placeholders.
    pcts = tache.split('<span class="pcts">')[1].split("</span>")[0]
    for placeholder in ("% fait", "% programmé", "% pas fait"):
        assert f'placeholder="{placeholder}"' in pcts
    assert 'class="s-non_renseigne"' in tache  # the select's edge shows the saved statut
    # An explication form on every sous-mesure and tâche, the mesure's own being further down the page.
    for action_id in ("cae_6.1.1.1", "cae_6.1.1.1.1", "cae_6.1.1.5.1"):
        assert f'id="explication-{action_id}" name="texte"' in page
    assert 'id="explication-cae_6.1.1" name="texte"' not in page and 'id="explication" name="texte"' in page


def test_explication_of_a_tache_through_htmx_and_writes_outside_the_mesure(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/action/cae_6.1.1/"
    response = client.post(
        url, {"action_id": "cae_6.1.1.1.1", "texte": "Cartographie faite en 2023."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    row = response.content.decode().split('data-testid="row-cae_6.1.1.1.1"')[1].split("</tr>")[0]
    assert "Explication : Cartographie faite en 2023." in row and "Modifier l'explication" in row
    assert Explication.objects.get(action_id="cae_6.1.1.1.1").texte == "Cartographie faite en 2023."
    assert HistoryEntry.objects.filter(subject="cae_6.1.1.1.1", kind="explication").count() == 1
    # Without htmx: back to the row.
    plain = client.post(url, {"action_id": "cae_6.1.1.2", "texte": "Voir le plan."})
    assert plain.status_code == 302 and plain["Location"].endswith("#row-cae_6.1.1.2")
    # An action of another mesure is refused by this page, and nothing is written.
    outside = client.post(url, {"action_id": "cae_6.1.2.1", "avancement": "fait"}, HTTP_HX_REQUEST="true")
    assert outside.status_code == 400 and "pas une action de cette mesure" in outside.content.decode()
    assert not StatutRecord.objects.exists()


def test_a_rejected_statut_is_explained_on_its_row(collectivite: Collectivite, editor: Member) -> None:
    bad = logged_in(editor).post(
        f"/c/{collectivite.pk}/action/cae_6.1.1/",
        {
            "action_id": "cae_6.1.1.2.1",
            "avancement": "detaille",
            "fait": "50",
            "programme": "30",
            "pas_fait": "30",
        },
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 400
    row = bad.content.decode().split('data-testid="row-cae_6.1.1.2.1"')[1].split("</tr>")[0]
    assert 'role="alert"' in row and "100 au total" in row
    assert bad.content.decode().count('role="alert"') == 1


def test_dashboard_shows_star_next_threshold_and_axes_chart(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    page = client.get(f"/c/{collectivite.pk}/").content.decode()
    assert 'data-testid="root-score"' in page and 'data-testid="etoile"' in page
    # The star the score allows, never « atteinte » (test_pages_labellisation.py has the rest).
    assert "Étoile obtenue : aucune" in page and "atteinte" not in page
    assert "Le score permet de demander la 1re étoile ; la 2e à 35 % fait" in page
    assert 'data-testid="axes-cae"' in page and "Part du potentiel faite et programmée, par axe" in page
    # The population in French style, and the axes' full names (wrapped by the page, never cut).
    assert "45\xa0000 habitants" in page
    for axe_id in loaded().referentiels["cae"].root.children:
        axe = loaded().referentiels["cae"].actions[axe_id]
        assert f"{axe.identifiant}. {axe.nom}</a></span>" in page
    # The demo's single axe is no strength nor weakness (see test_strengths_need_axes_that_differ).
    assert 'data-testid="forts-cae"' not in page and 'data-testid="faibles-cae"' not in page


def test_strengths_need_axes_that_differ() -> None:
    def axe(i: str, fait: float) -> AxeBar:
        return AxeBar(i, f"Axe {i}", fait, 0.0, {"fait": fait, "programme": 0.0, "pas_fait": 0.0})

    assert forts_et_faibles([axe("1", 0), axe("2", 0), axe("3", 0)], 35.0) == ([], [])
    assert forts_et_faibles([axe("1", 5)], 35.0) == ([], [])
    forts, faibles = forts_et_faibles([axe("1", 5), axe("2", 30), axe("3", 0)], 35.0)
    assert forts == [] and [a.identifiant for a in faibles] == ["3", "1"]


def test_french_numbers_and_bars() -> None:
    assert entier(45_000) == "45\xa0000" and entier(1_234_567) == "1\xa0234\xa0567" and entier(800) == "800"
    assert nombre(3.75) == "3,75" and nombre(6.0) == "6,0" and nombre(None) == "–"
    html = bar_html({"fait": 62.5, "programme": 18.75, "pas_fait": 0.0})
    assert 'title="fait 62,5 %, programmé 18,75 %, pas fait 0,0 %"' in html
    assert 'style="width:62.5%"' in html and "pas_fait" not in html.split("title=")[1]  # no empty segment


def test_stylesheet_is_linked_and_served(collectivite: Collectivite, editor: Member) -> None:
    page = logged_in(editor).get(f"/c/{collectivite.pk}/").content.decode()
    assert '<link rel="stylesheet" href="/static/pages/jalon.css">' in page and "<style>" not in page
    # The account and its logout button stay together in the header.
    compte = page.split('<div class="compte">')[1].split("</div>")[0]
    assert "edith" in compte and "Se déconnecter" in compte
    response = Client().get("/static/pages/jalon.css")
    css = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response.status_code == 200 and "tabular-nums" in css and ".s-programme" in css


def test_mesure_page_texts_points_and_redirects(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    page = client.get(f"/c/{collectivite.pk}/action/cae_6.1.1/").content.decode()
    assert "<summary>Description</summary>" in page and "<summary>Exemples</summary><ul>" in page.replace(
        "\n", ""
    )
    assert 'data-testid="mesure-score"' in page and "Points au référentiel : 6" in page
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    after = client.get(f"/c/{collectivite.pk}/action/cae_6.1.1/").content.decode()
    sous_mesure_scores = services.scores(collectivite, "cae")["cae_6.1.1.5"]
    assert sous_mesure_scores["point_potentiel"] != sous_mesure_scores["point_referentiel"]
    row = after.split('data-testid="row-cae_6.1.1.5"')[1].split("</tr>")[0]
    # The row names the cause: the demo's rule halves 6.1.1.5.
    referentiel = nombre(sous_mesure_scores["point_referentiel"])
    assert f"({referentiel} au référentiel : réduite par une règle de personnalisation (× 0,5) ; " in row
    sous_mesure = client.get(f"/c/{collectivite.pk}/action/cae_6.1.1.2/")
    assert sous_mesure.status_code == 302 and sous_mesure["Location"].endswith(
        "/action/cae_6.1.1/#row-cae_6.1.1.2"
    )
    assert client.get(f"/c/{collectivite.pk}/action/cae_6/").status_code == 404
    assert client.get(f"/c/{collectivite.pk}/action/cae_9.9.9/").status_code == 404


def test_markdown_escapes_html() -> None:
    from jalon.web.pages.common import markdown

    html = markdown("**gras** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>gras</strong>" in html and "<script>" not in html and 'href="javascript' not in html


WRITERS = {Role.EDITION, Role.ADMIN, Role.CONSEILLER}
WRITE_CONTROLS = {"/action/cae_6.1.1/": 'data-testid="statut-', "/questionnaire/": "<textarea"}
PAGES = ["/", "/questionnaire/", "/discussions/", "/membres/", "/cae/", "/action/cae_6.1.1/"]


@pytest.mark.parametrize("role", [*Role.values, None])
def test_every_page_for_every_role(collectivite: Collectivite, role: str | None) -> None:
    foreign = make_collectivite("Ailleurs", "commune", 900)
    client = logged_in(make_member(collectivite, role, "personne"))
    for page in PAGES:
        own = client.get(f"/c/{collectivite.pk}{page}")
        assert own.status_code == (200 if role else 404), page
        assert client.get(f"/c/{foreign.pk}{page}").status_code == 404, page
        marker = WRITE_CONTROLS.get(page)
        if role is not None and marker is not None:
            assert (marker in own.content.decode()) == (role in WRITERS), page
    writes = [
        ("/action/cae_6.1.1/", {"action_id": "cae_6.1.1.1.1", "avancement": "fait"}),
        ("/questionnaire/", {"question_id": "demo_jumelage", "valeur": "OUI"}),
        ("/discussions/", {"action_id": "cae_6.1.1", "texte": "Qui s'en charge ?"}),
    ]
    for page, data in writes:
        expected = 404 if role is None else 302 if role in WRITERS else 403
        assert client.post(f"/c/{collectivite.pk}{page}", data).status_code == expected, page
        assert client.post(f"/c/{foreign.pk}{page}", data).status_code == 404, page
    assert StatutRecord.objects.exists() == (role in WRITERS)


def test_invitation_link_creates_an_account_and_a_membership(collectivite: Collectivite) -> None:
    admin = logged_in(make_member(collectivite, Role.ADMIN, "ada"))
    page = admin.post(f"/c/{collectivite.pk}/membres/", {"role": Role.CONSEILLER}).content.decode()
    link = page.split('data-testid="invitation-link" readonly size="90" value="')[1].split('"')[0]
    path = link.removeprefix("http://testserver")
    newcomer = Client()
    assert "Créez votre compte" in newcomer.get(path).content.decode()
    weak = newcomer.post(path, {"username": "cyril", "password1": "x", "password2": "y"})
    assert weak.status_code == 400 and not User.objects.filter(username="cyril").exists()
    response = newcomer.post(
        path, {"username": "cyril", "password1": "un-long-mot-de-passe", "password2": "un-long-mot-de-passe"}
    )
    assert response.status_code == 302 and response["Location"] == f"/c/{collectivite.pk}/"
    assert Membership.objects.get(user__username="cyril", collectivite=collectivite).role == Role.CONSEILLER
    assert newcomer.get(f"/c/{collectivite.pk}/").status_code == 200  # logged in
    # A used link is dead, and does not leave a half-created account behind.
    again = Client().post(
        path, {"username": "dora", "password1": "un-long-mot-de-passe", "password2": "un-long-mot-de-passe"}
    )
    assert again.status_code == 404 and not User.objects.filter(username="dora").exists()


def test_invitations_are_for_admins_and_can_be_revoked(collectivite: Collectivite, editor: Member) -> None:
    assert logged_in(editor).post(f"/c/{collectivite.pk}/membres/", {"role": "lecture"}).status_code == 403
    admin = logged_in(make_member(collectivite, Role.ADMIN, "ada"))
    assert admin.post(f"/c/{collectivite.pk}/membres/", {"role": "maire"}).status_code == 400
    page = admin.post(f"/c/{collectivite.pk}/membres/", {"role": "lecture"}).content.decode()
    path = page.split('value="http://testserver')[1].split('"')[0]
    invitation = Invitation.objects.get(collectivite=collectivite)
    assert admin.post(f"/c/{collectivite.pk}/membres/", {"revoquer": str(invitation.pk)}).status_code == 302
    other = logged_in(make_member(None, None, "zoe"))
    assert other.post(path).status_code == 404
    assert not Membership.objects.filter(user__username="zoe").exists()


def test_api_tokens_page_creates_and_revokes(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    assert client.post("/jetons/", {"nom": ""}).status_code == 400
    page = client.post("/jetons/", {"nom": "tableur"}).content.decode()
    token = page.split('data-testid="api-token" readonly size="60" value="')[1].split('"')[0]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/collectivites").status_code == 200
    assert token not in client.get("/jetons/").content.decode()  # shown once
    created = ApiToken.objects.get(user=editor.user, name="tableur")
    intruder = logged_in(make_member(None, None, "zoe"))
    assert intruder.post("/jetons/", {"revoquer": str(created.pk)}).status_code == 400
    assert client.post("/jetons/", {"revoquer": str(created.pk)}).status_code == 302
    assert api.get("/api/collectivites").status_code == 401


def test_admin_lists_every_model(collectivite: Collectivite) -> None:
    User.objects.create_superuser("root", "", "mot-de-passe-de-test")
    client = Client()
    assert client.login(username="root", password="mot-de-passe-de-test")
    for url in [
        "collectivites/collectivite",
        "collectivites/membership",
        "collectivites/invitation",
        "collectivites/apitoken",
        "referentiels/referentielversion",
        "statuts/statutrecord",
        "statuts/explication",
        "statuts/reponse",
        "statuts/historyentry",
        "statuts/scoreset",
        "discussions/discussion",
    ]:
        assert client.get(f"/admin/{url}/").status_code == 200, url
    # Statuts are read-only there: a change would skip the history and the stored scores.
    assert client.get("/admin/statuts/statutrecord/add/").status_code == 403
