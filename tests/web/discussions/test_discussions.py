"""Discussions per action: the service, the API (every role, own / foreign), the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.discussions import services
from jalon.web.discussions.models import Commentaire, Discussion, Etat
from jalon.web.errors import InputError
from tests.web.conftest import Member, make_collectivite, make_member

pytestmark = pytest.mark.django_db
WRITERS = {Role.EDITION, Role.ADMIN, Role.CONSEILLER}


def post(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_open_comment_close_reopen(collectivite: Collectivite, editor: Member) -> None:
    d = services.open_discussion(collectivite, editor.user, "cae_6.1.1.2", "  Qui suit ce réseau ?  ")
    services.comment(d, editor.user, "Le chargé de mission.")
    services.set_etat(d, Etat.FERMEE)
    with pytest.raises(InputError, match="fermée"):
        services.comment(d, editor.user, "Encore un mot")
    services.set_etat(d, Etat.OUVERTE)
    services.comment(d, editor.user, "Rouverte.")
    assert [c.texte for c in d.commentaires.all()] == [
        "Qui suit ce réseau ?",
        "Le chargé de mission.",
        "Rouverte.",
    ]
    for action, texte, field in [
        ("cae_9.9", "x", "action_id"),
        ("cae_6.1.1", "   ", "texte"),
        ("cae_6.1.1", "x" * 10_001, "texte"),
    ]:
        with pytest.raises(InputError) as error:
            services.open_discussion(collectivite, editor.user, action, texte)
        assert error.value.field == field
    with pytest.raises(InputError, match="état inconnu"):
        services.set_etat(d, "archivee")
    assert Discussion.objects.count() == 1


@pytest.mark.parametrize("role", [*Role.values, None])
def test_api_role_matrix(collectivite: Collectivite, editor: Member, role: str | None) -> None:
    foreign = make_collectivite("Ailleurs", "commune", 8_000)
    mine = services.open_discussion(collectivite, editor.user, "cae_6.1.1", "Premier message")
    theirs = services.open_discussion(
        foreign, make_member(foreign, Role.ADMIN, "autre").user, "cae_6.1.1", "Ailleurs"
    )
    client = make_member(collectivite, role, "personne").client()
    base, other = (
        f"/api/collectivites/{collectivite.pk}/discussions",
        f"/api/collectivites/{foreign.pk}/discussions",
    )
    listed = client.get(base)
    assert listed.status_code == (200 if role else 404)
    if role:
        assert [d["id"] for d in listed.json()] == [mine.pk]
        assert listed.json()[0]["commentaires"][0]["texte"] == "Premier message"
    assert client.get(other).status_code == 404
    write = 200 if role in WRITERS else 403 if role else 404
    assert post(client, base, {"action_id": "cae_6.1.1.1", "texte": "Bonjour"}).status_code == write
    assert post(client, f"{base}/{mine.pk}/commentaires", {"texte": "Réponse"}).status_code == write
    assert post(client, f"{base}/{mine.pk}/etat", {"etat": "fermee"}, "put").status_code == write
    # Another collectivité's thread, through one's own collectivité or directly: as if it did not exist.
    assert post(client, f"{base}/{theirs.pk}/commentaires", {"texte": "x"}).status_code == (
        404 if role in WRITERS or role is None else 403
    )
    assert post(client, f"{other}/{theirs.pk}/commentaires", {"texte": "x"}).status_code == 404
    assert Commentaire.objects.filter(discussion=theirs).count() == 1
    expected = 3 if role in WRITERS else 1  # the new thread's first comment and the reply
    assert Commentaire.objects.filter(discussion__collectivite=collectivite).count() == expected
    if role in WRITERS:
        assert Discussion.objects.get(pk=mine.pk).etat == Etat.FERMEE


def test_api_bad_input_names_the_field(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}/discussions"
    response = post(client, base, {"action_id": "cae_0", "texte": "x"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "action_id"
    response = post(client, base, {"action_id": "cae_6.1.1"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "texte"
    d = services.open_discussion(collectivite, editor.user, "cae_6.1.1", "Ouverte")
    response = post(client, f"{base}/{d.pk}/etat", {"etat": "peut-etre"}, "put")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "etat"
    assert client.get(base, {"etat": "fermee"}).json() == []
    assert (
        "/api/collectivites/{collectivite_id}/discussions" in client.get("/api/openapi.json").json()["paths"]
    )


def test_pages_open_comment_and_close_threads(collectivite: Collectivite, editor: Member) -> None:
    client = Client()
    assert client.login(username="edith", password="mot-de-passe-de-test")
    mesure = f"/c/{collectivite.pk}/action/cae_6.1.1/"
    response = client.post(
        f"/c/{collectivite.pk}/discussions/",
        {"action_id": "cae_6.1.1.3", "texte": "À revoir", "next": mesure},
    )
    assert response.status_code == 302 and response["Location"].startswith(mesure)
    d = Discussion.objects.get()
    page = client.get(mesure).content.decode()
    assert f'data-testid="discussion-{d.pk}"' in page and "À revoir" in page
    client.post(
        f"/c/{collectivite.pk}/discussions/{d.pk}/", {"do": "commenter", "texte": "Fait", "next": mesure}
    )
    client.post(
        f"/c/{collectivite.pk}/discussions/{d.pk}/", {"do": "fermer", "next": "https://ailleurs.example/"}
    )
    d.refresh_from_db()
    assert d.etat == Etat.FERMEE and d.commentaires.count() == 2
    listing = client.get(f"/c/{collectivite.pk}/discussions/", {"etat": "fermee"}).content.decode()
    assert "À revoir" in listing and f"/c/{collectivite.pk}/action/cae_6.1.1/" in listing
    empty = client.post(f"/c/{collectivite.pk}/discussions/", {"action_id": "cae_6.1.1", "texte": ""})
    assert empty.status_code == 400 and "le commentaire est vide" in empty.content.decode()
    reader = make_member(collectivite, Role.LECTURE, "lea")
    lecture = Client()
    assert lecture.login(username=reader.user.username, password="mot-de-passe-de-test")
    assert "À revoir" in lecture.get(mesure).content.decode()
    assert lecture.post(f"/c/{collectivite.pk}/discussions/{d.pk}/", {"do": "rouvrir"}).status_code == 403
    foreign = make_collectivite("Ailleurs", "commune", 900)
    assert client.post(f"/c/{foreign.pk}/discussions/{d.pk}/", {"do": "rouvrir"}).status_code == 404
