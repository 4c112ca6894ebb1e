"""The JSON API against odd and badly formed input: nothing stored is lost, every refusal is a JSON
``{"detail": [{"field", "reason"}]}`` with a French reason, and nothing answers 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite
from jalon.web.discussions import services as discussions
from jalon.web.discussions.models import Commentaire, Discussion, Etat
from jalon.web.limits import API_MAX_BODY
from jalon.web.statuts.models import Explication, HistoryEntry, Reponse, StatutRecord
from tests.web.conftest import Member, logged_in

pytestmark = pytest.mark.django_db

TACHE = "cae_6.1.1.2.1"


def send(client: Client, method: str, url: str, raw: str | bytes) -> Any:
    return getattr(client, method)(url, data=raw, content_type="application/json")


def details(response: Any) -> list[dict[str, str]]:
    """The errors of a JSON error answer, each a field and a reason."""
    assert response["Content-Type"].startswith("application/json"), response.content
    found = response.json()["detail"]
    assert found and all(set(d) == {"field", "reason"} and d["reason"] for d in found)
    return list(found)


def only_detail(response: Any) -> dict[str, str]:
    [detail] = details(response)
    return detail


# -- item 1: a statut is removed only on request -------------------------------------------------

BAD_STATUT_BODIES = [
    ("[]", "body"),
    ("null", "body"),
    ('"fait"', "body"),
    ("123", "body"),
    ("true", "body"),
    ("{}", "avancement"),
    ('{"avancment": "fait"}', "avancment"),
    ('{"avancement": null}', "avancement"),
    ('{"avancement": "fait", "detaille": [50, 25, 25]}', "detaille"),
    ('{"avancement": "detaille", "detaille": [50, 50]}', "detaille"),
    ('{"avancement": "detaille", "detaille": [50, 25, 25.5]}', "detaille.2"),
    ('{"avancement": "detaille", "detaille": [150, -25, -25]}', "detaille.0"),
    ('{"avancement": "detaille", "detaille": [true, 50, 45]}', "detaille.0"),
    ('{"avancement": "detaille"}', "detaille"),
    ("{not json", "body"),
]


@pytest.mark.parametrize(("raw", "field"), BAD_STATUT_BODIES)
def test_a_badly_formed_statut_body_is_a_422_and_keeps_the_statut(
    collectivite: Collectivite, editor: Member, raw: str, field: str
) -> None:
    client = editor.client()
    url = f"/api/collectivites/{collectivite.pk}/statuts/{TACHE}"
    assert send(client, "put", url, '{"avancement": "fait"}').status_code == 200
    response = send(client, "put", url, raw)
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in details(response)]
    assert StatutRecord.objects.get(action_id=TACHE).avancement == "fait"
    assert HistoryEntry.objects.count() == 1


def test_only_non_renseigne_removes_a_statut(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    url = f"/api/collectivites/{collectivite.pk}/statuts/{TACHE}"
    send(client, "put", url, '{"avancement": "fait"}')
    response = send(client, "put", url, '{"avancement": "non_renseigne"}')
    assert response.status_code == 200 and response.json()["statut"] is None
    assert not StatutRecord.objects.exists()
    schema = Client().get("/api/openapi.json").json()
    documented = schema["paths"]["/api/collectivites/{collectivite_id}/statuts/{action_id}"]["put"]
    assert "non_renseigne" in documented["description"]


# -- item 2: an answer's fields left out are left unchanged --------------------------------------


def test_a_justification_alone_keeps_the_answer(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    url = f"/api/collectivites/{collectivite.pk}/reponses/demo_jumelage"
    assert send(client, "put", url, '{"valeur": "OUI", "justification": "a"}').status_code == 200
    response = send(client, "put", url, '{"justification": "Jumelage avec Kassel."}')
    assert response.status_code == 200, response.content
    assert response.json() == {
        "question_id": "demo_jumelage",
        "valeur": "OUI",
        "justification": "Jumelage avec Kassel.",
    }
    # A valeur alone keeps the justification; an explicit null removes the answer.
    assert send(client, "put", url, '{"valeur": "NON"}').json()["justification"] == "Jumelage avec Kassel."
    removed = send(client, "put", url, '{"valeur": null}').json()
    assert removed["valeur"] is None and removed["justification"] == "Jumelage avec Kassel."


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{}", "valeur"),
        ("[]", "body"),
        ("null", "body"),
        ('{"valeur": true}', "valeur"),
        ('{"val": 1}', "val"),
    ],
)
def test_an_empty_or_odd_answer_body_is_a_422_and_keeps_the_answer(
    collectivite: Collectivite, editor: Member, raw: str, field: str
) -> None:
    client = editor.client()
    url = f"/api/collectivites/{collectivite.pk}/reponses/demo_jumelage"
    send(client, "put", url, '{"valeur": "OUI"}')
    response = send(client, "put", url, raw)
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in details(response)]
    assert Reponse.objects.get(question_id="demo_jumelage").valeur == "OUI"


# -- item 3: French everywhere, one shape for every error -----------------------------------------


@pytest.mark.parametrize(
    ("url", "raw", "field", "words"),
    [
        ("/reponses/demo_jumelage", '{"valeur": 0.5}', "valeur", "OUI ou NON"),
        ("/reponses/demo_cep", '{"valeur": "ailleurs"}', "valeur", "choix"),
        ("/statuts/" + TACHE, '{"avancement": "a moitié"}', "avancement", "valeurs possibles"),
        ("/statuts/" + TACHE, "{}", "avancement", "champ obligatoire"),
        ("/explications/cae_6.1.1.2", '{"texte": 3}', "texte", "texte attendu"),
        ("/statuts/" + TACHE, '{"avancement": "fait", "en_plus": 1}', "en_plus", "champ inconnu"),
    ],
)
def test_input_errors_are_french_and_name_the_field(
    collectivite: Collectivite, editor: Member, url: str, raw: str, field: str, words: str
) -> None:
    response = send(editor.client(), "put", f"/api/collectivites/{collectivite.pk}{url}", raw)
    assert response.status_code == 422
    detail = only_detail(response)
    assert detail["field"] == field and words in detail["reason"]
    for english in ("Field required", "Input should", "answered", "got ", "is not one of"):
        assert english not in detail["reason"]


def test_every_error_status_is_french_json(collectivite: Collectivite, editor: Member) -> None:
    base = f"/api/collectivites/{collectivite.pk}"
    client = editor.client()
    answers = {
        401: Client().get("/api/collectivites"),
        404: client.get("/api/collectivites/999999"),
        405: client.delete(base + "/statuts"),
        413: send(client, "put", base + f"/explications/{TACHE}", b"x" * (API_MAX_BODY + 1)),
    }
    unknown = client.get("/api/nulle-part")
    assert unknown.status_code == 404 and only_detail(unknown)["field"] == "url"
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        only_detail(response)
    assert "introuvable" in only_detail(answers[404])["reason"]
    assert "méthode" in only_detail(answers[405])["reason"]
    assert "trop gros" in only_detail(answers[413])["reason"]
    assert "authentification" in only_detail(answers[401])["reason"]


def test_a_crash_is_a_500_in_french_json(
    collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jalon.web.statuts import services

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "set_explication", broken)
    response = send(
        editor.client(),
        "put",
        f"/api/collectivites/{collectivite.pk}/explications/cae_6.1.1.2",
        '{"texte": "x"}',
    )
    assert response.status_code == 500
    assert "erreur interne" in only_detail(response)["reason"] and "boom" not in response.content.decode()


# -- item 4: odd input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "raw", "field"),
    [
        ("/explications/cae_6.1.1.2", '{"texte": "a\\u0000b"}', "texte"),
        ("/reponses/demo_jumelage", '{"valeur": "OUI", "justification": "a\\u0000b"}', "justification"),
        ("/reponses/demo_cep", '{"valeur": "demo\\u0000"}', "valeur"),
        ("/explications/cae_6.1.1.2", '{"texte": "\\ud800"}', "texte"),
        ("/reponses/demo_jumelage", '{"justification": "x\\udfff"}', "justification"),
    ],
)
def test_a_nul_character_or_a_lone_surrogate_is_a_422(
    collectivite: Collectivite, editor: Member, url: str, raw: str, field: str
) -> None:
    response = send(editor.client(), "put", f"/api/collectivites/{collectivite.pk}{url}", raw)
    assert response.status_code == 422, response.content
    assert only_detail(response)["field"] == field
    assert not Explication.objects.exists() and not Reponse.objects.exists()


def test_a_nul_character_in_discussions_and_queries_is_a_422(
    collectivite: Collectivite, editor: Member
) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}/discussions"
    response = send(client, "post", base, '{"action_id": "cae_6.1.1", "texte": "a\\u0000"}')
    assert response.status_code == 422 and only_detail(response)["field"] == "texte"
    d = discussions.open_discussion(collectivite, editor.user, "cae_6.1.1", "Premier")
    response = send(client, "post", f"{base}/{d.pk}/commentaires", '{"texte": "\\ud83d"}')
    assert response.status_code == 422 and only_detail(response)["field"] == "texte"
    for query in ("subject", "user", "kind"):
        response = client.get(f"/api/collectivites/{collectivite.pk}/historique", {query: "a\x00b"})
        assert response.status_code == 422 and only_detail(response)["field"] == query
    assert client.get(base, {"action_id": "\x00"}).status_code == 422
    assert Commentaire.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/collectivites/9223372036854775808",
        "/api/collectivites/99999999999999999999999/statuts",
        "/api/collectivites/0/reponses",
        "/api/collectivites/-1/historique",
        "/api/collectivites/{c}/discussions/9223372036854775808/etat",
    ],
)
def test_ids_beyond_a_bigint_are_a_404(collectivite: Collectivite, editor: Member, path: str) -> None:
    url = path.format(c=collectivite.pk)
    client = editor.client()
    response = send(client, "put", url, '{"etat": "fermee"}') if url.endswith("/etat") else client.get(url)
    assert response.status_code == 404, response.content
    only_detail(response)


@pytest.mark.parametrize(
    "query",
    [
        "/historique?depuis=0001-01-01T00:00:00",
        "/historique?jusqua=9999-12-31T23:59:59",
        "/historique?depuis=9999-12-31T23:59:59-05:00",
        "/historique?jusqua=0001-01-01T00:00:00%2B14:00",
        "/historique?depuis=2020-01-01T00:00:00%2B23:00",
        "/scores?date=0316-12-11T23:51:10.01%2B23:00",
        "/scores?date=0001-01-01T00:00:00",
        "/scores?date=9999-12-31T23:59:59",
    ],
)
def test_extreme_dates_are_answered(collectivite: Collectivite, editor: Member, query: str) -> None:
    response = editor.client().get(f"/api/collectivites/{collectivite.pk}{query}")
    assert response.status_code == 200, response.content


def test_a_bad_date_is_a_422_in_french(collectivite: Collectivite, editor: Member) -> None:
    response = editor.client().get(f"/api/collectivites/{collectivite.pk}/historique", {"depuis": "hier"})
    assert response.status_code == 422
    detail = only_detail(response)
    assert detail["field"] == "depuis" and "AAAA-MM-JJ" in detail["reason"]


def test_the_history_page_answers_extreme_dates(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    for query in ({"au": "9999-12-31"}, {"du": "0001-01-01"}, {"au": "0001-01-01"}):
        response = client.get(f"/c/{collectivite.pk}/historique/", query)
        assert response.status_code in (200, 400), (query, response.status_code)
    too_far = client.get(f"/c/{collectivite.pk}/historique/", {"au": "9999-12-31"})
    assert too_far.status_code == 400 and "au" in too_far.content.decode()
    for date in ("9999-12-31", "0001-01-01", "9999-12-31T23:59"):
        response = client.get(f"/c/{collectivite.pk}/historique/scores/", {"date": date})
        assert response.status_code in (200, 400), (date, response.status_code)


def test_a_population_in_superscript_digits_is_a_400(collectivite: Collectivite) -> None:
    from jalon.web.collectivites.models import Role
    from tests.web.conftest import make_member

    admin = make_member(collectivite, Role.ADMIN, "adele")
    response = logged_in(admin).post(
        f"/c/{collectivite.pk}/parametres/",
        {"nom": collectivite.nom, "type": "EPCI", "population": "²", "localisation": "Metropole"},
    )
    assert response.status_code == 400 and "population" in response.content.decode()
    assert Collectivite.objects.get(pk=collectivite.pk).population == 45_000


@pytest.mark.parametrize("path", ["/static/..", "/static/../settings.py", "/static/%2e%2e/%2e%2e/etc/passwd"])
def test_static_path_traversal_is_a_404(path: str) -> None:
    assert Client().get(path).status_code == 404


def test_a_huge_body_is_a_413_unread_and_bad_json_a_422(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    url = f"/api/collectivites/{collectivite.pk}/explications/cae_6.1.1.2"
    huge = json.dumps({"texte": "x" * (10 * 1024 * 1024)})
    response = send(client, "put", url, huge)
    assert response.status_code == 413 and only_detail(response)["field"] == "body"
    response = send(client, "put", url, b"\xff\xfe{")
    assert response.status_code == 422 and only_detail(response)["field"] == "body"
    assert not Explication.objects.exists()


def test_an_unknown_etat_filter_is_a_422_naming_the_values(
    collectivite: Collectivite, editor: Member
) -> None:
    response = editor.client().get(f"/api/collectivites/{collectivite.pk}/discussions", {"etat": "bogus"})
    assert response.status_code == 422
    detail = only_detail(response)
    assert detail["field"] == "etat" and "ouverte" in detail["reason"] and "fermee" in detail["reason"]


# -- item 5: unauthenticated writes ---------------------------------------------------------------


def test_an_anonymous_write_is_a_401_and_a_session_without_csrf_a_403(
    collectivite: Collectivite, editor: Member
) -> None:
    url = f"/api/collectivites/{collectivite.pk}/statuts/{TACHE}"
    anonymous = send(Client(enforce_csrf_checks=True), "put", url, '{"avancement": "fait"}')
    assert anonymous.status_code == 401
    assert only_detail(anonymous)["field"] == "authorization"
    session = Client(enforce_csrf_checks=True)
    session.force_login(editor.user)
    refused = send(session, "put", url, '{"avancement": "fait"}')
    assert refused.status_code == 403
    detail = only_detail(refused)
    assert detail["field"] == "csrf" and "CSRF" in detail["reason"] and "Failed" not in detail["reason"]
    assert not StatutRecord.objects.exists()


# -- item 6: a comment sent with a close is never dropped -----------------------------------------


def test_a_comment_closing_a_closed_discussion_is_refused_on_the_page(
    collectivite: Collectivite, editor: Member
) -> None:
    d = discussions.open_discussion(collectivite, editor.user, "cae_6.1.1", "Premier")
    discussions.set_etat(d, Etat.FERMEE)
    response = logged_in(editor).post(
        f"/c/{collectivite.pk}/discussions/{d.pk}/", {"do": "fermer", "texte": "Un dernier mot"}
    )
    assert response.status_code == 400
    assert "déjà fermée" in response.content.decode()
    # Reopening with a comment keeps it, after the reopening.
    response = logged_in(editor).post(
        f"/c/{collectivite.pk}/discussions/{d.pk}/", {"do": "rouvrir", "texte": "On reprend"}
    )
    assert response.status_code == 302
    assert [c.texte for c in Commentaire.objects.order_by("id")] == ["Premier", "On reprend"]
    assert Discussion.objects.get(pk=d.pk).etat == Etat.OUVERTE


def test_a_comment_closing_a_discussion_through_the_api(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    d = discussions.open_discussion(collectivite, editor.user, "cae_6.1.1", "Premier")
    url = f"/api/collectivites/{collectivite.pk}/discussions/{d.pk}/etat"
    closed = send(client, "put", url, '{"etat": "fermee", "texte": "Clos : fait."}')
    assert closed.status_code == 200
    assert [c["texte"] for c in closed.json()["commentaires"]] == ["Premier", "Clos : fait."]
    again = send(client, "put", url, '{"etat": "fermee", "texte": "Encore"}')
    assert again.status_code == 422 and "déjà fermée" in only_detail(again)["reason"]
    assert Commentaire.objects.count() == 2


def test_an_answer_write_that_changes_nothing_on_a_question_never_answered(
    collectivite: Collectivite, editor: Member
) -> None:
    """Found by the fuzz: a null justification (left as it is) on a question never answered wrote no
    row, which the endpoint then read back (500)."""
    url = f"/api/collectivites/{collectivite.pk}/reponses/demo_jumelage"
    response = send(editor.client(), "put", url, '{"justification": null}')
    assert response.status_code == 200, response.content
    assert response.json() == {"question_id": "demo_jumelage", "valeur": None, "justification": ""}
