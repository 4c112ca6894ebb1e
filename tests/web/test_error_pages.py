"""Error pages, with DEBUG off as in production: each in French, in the site's layout, saying what to do;
a collectivité one is not a member of answers the same page as one that does not exist."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from jalon.web.collectivites.models import Collectivite
from tests.web.conftest import logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("une panne")


def _refuses(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("refusé")


# This module is also the URLconf of the tests marked below: the application's URLs, and two views that
# fail. Django's error handlers are the defaults, which render the templates 4xx.html and 500.html.
urlpatterns = [
    path("panne/", _fails),
    path("refus/", _refuses),
    path("", include("jalon.web.urls")),
]


def _main(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def test_a_foreign_collectivite_answers_the_same_french_404_as_one_that_does_not_exist(
    collectivite: Collectivite,
) -> None:
    foreign = make_collectivite("Ailleurs", "commune", 900)
    client = logged_in(make_member(collectivite, "lecture", "lea"))
    refused = client.get(f"/c/{foreign.pk}/")
    missing = client.get("/c/999999/")
    assert refused.status_code == missing.status_code == 404
    assert _main(refused.content.decode()) == _main(missing.content.decode())
    page = refused.content.decode()
    assert "<h1>Page introuvable</h1>" in page
    assert "demandez à un admin de la collectivité de vous inviter" in page
    assert 'href="/" data-testid="retour">Revenir à mes collectivités</a>' in page
    assert "Ailleurs" not in page
    assert 'lang="fr"' in page and "Se déconnecter" in page  # the site's layout, the user still signed in


def test_an_unknown_address_answers_the_french_404() -> None:
    response = Client().get("/nulle/part/")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.content.decode()
    assert "Not Found" not in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_server_error_answers_a_french_500_saying_what_to_do() -> None:
    response = Client(raise_request_exception=False).get("/panne/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Erreur du serveur</h1>" in page
    assert "rechargez la page" in page and "signalez-la" in page
    assert "une panne" not in page  # nothing of the error itself
    assert 'href="/" data-testid="retour">Revenir à mes collectivités</a>' in page


@pytest.mark.urls(__name__)
def test_a_refused_request_answers_a_french_403(collectivite: Collectivite) -> None:
    response = logged_in(make_member(collectivite, "lecture", "lea")).get("/refus/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Accès refusé</h1>" in page and "changer votre rôle" in page


def test_a_bad_request_answers_a_french_400() -> None:
    response = Client().get("/", HTTP_HOST="ailleurs.example")  # a host the settings do not allow
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>Requête invalide</h1>" in page and "Revenir à mes collectivités" in page


def test_a_form_without_its_csrf_token_answers_a_french_page_saying_to_reload() -> None:
    response = Client(enforce_csrf_checks=True).post("/connexion/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Formulaire expiré</h1>" in page
    assert "rechargez-la, puis recommencez" in page and "Rien n'a été enregistré" in page
    assert "CSRF verification failed" not in page
