"""Server-rendered pages: login, dashboard, tree, mesure page with statut controls, permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.statuts import services
from jalon.web.statuts.models import StatutRecord

from .conftest import Member, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


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
