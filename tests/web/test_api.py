"""The JSON API: every role × endpoint × own / foreign collectivité, bad input, tokens, OpenAPI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jalon.loading import DEMO_DIR
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts.models import Explication, HistoryEntry, Kind, Reponse, ScoreSet, StatutRecord
from jalon.web.statuts.services import scores
from tests.web.conftest import Member, logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db

READS = [
    "",
    "/referentiels/cae",
    "/statuts",
    "/reponses",
    "/historique",
    "/historique?subject=cae_6.1&kind=statut&user=edith&depuis=2020-01-01T00:00:00Z&limit=5",
]
WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/statuts/cae_6.1.1.2.1", {"avancement": "fait"}),
    ("/explications/cae_6.1.1.2", {"texte": "Délibération du 3 mars."}),
    ("/reponses/demo_jumelage", {"valeur": "OUI", "justification": "Jumelage avec Kassel."}),
]
WRITERS = {Role.EDITION, Role.ADMIN, Role.CONSEILLER}


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", [*Role.values, None])
def test_role_matrix(collectivite: Collectivite, role: str | None) -> None:
    foreign = make_collectivite("Ailleurs", "commune", 8_000)
    member = make_member(collectivite, role, "personne")
    client = member.client()
    base, other = f"/api/collectivites/{collectivite.pk}", f"/api/collectivites/{foreign.pk}"
    listed = client.get("/api/collectivites").json()
    assert [c["id"] for c in listed] == ([collectivite.pk] if role else [])
    for path in READS:
        assert client.get(base + path).status_code == (200 if role else 404), path
        assert client.get(other + path).status_code == 404, path
    # A bad filter is a 422 for members only: to others the collectivité does not exist.
    assert client.get(base + "/historique?kind=mystere").status_code == (422 if role else 404)
    assert client.get(other + "/historique?kind=mystere").status_code == 404
    for path, body in WRITES:
        expected = 200 if role in WRITERS else 403 if role else 404
        assert put(client, base + path, body).status_code == expected, path
        assert put(client, other + path, body).status_code == 404, path
    written = HistoryEntry.objects.filter(collectivite=collectivite).count()
    assert written == (4 if role in WRITERS else 0)  # statut, explication, réponse, justification
    assert not HistoryEntry.objects.filter(collectivite=foreign).exists()


def test_anonymous_gets_401(collectivite: Collectivite) -> None:
    client = Client()
    assert client.get("/api/collectivites").status_code == 401
    assert client.get(f"/api/collectivites/{collectivite.pk}").status_code == 401
    assert (
        put(
            client, f"/api/collectivites/{collectivite.pk}/statuts/cae_6.1.1.2.1", {"avancement": "fait"}
        ).status_code
        == 401
    )
    bad = Client(HTTP_AUTHORIZATION="Bearer jalon_not-a-token")
    assert bad.get("/api/collectivites").status_code == 401


def test_session_writes_need_csrf(collectivite: Collectivite, editor: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor.user)
    url = f"/api/collectivites/{collectivite.pk}/statuts/cae_6.1.1.2.1"
    assert client.get(f"/api/collectivites/{collectivite.pk}/statuts").status_code == 200
    assert put(client, url, {"avancement": "fait"}).status_code in (401, 403)
    assert not StatutRecord.objects.exists()


def test_put_statut_returns_new_scores_and_history(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}"
    response = put(
        client, base + "/statuts/cae_6.1.1.2.1", {"avancement": "detaille", "detaille": [50, 25, 25]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["statut"] == {"avancement": "detaille", "detaille": [50, 25, 25]}
    assert set(body["scores"]) == {"cae_6.1.1.2.1", "cae_6.1.1.2", "cae_6.1.1", "cae_6.1", "cae_6", "cae"}
    assert body["scores"]["cae"]["point_fait"] > 0
    tree = client.get(base + "/referentiels/cae").json()
    node = next(n for n in tree if n["action_id"] == "cae_6.1.1.2.1")
    assert node["statut"]["avancement"] == "detaille"
    assert node["scores"] == body["scores"]["cae_6.1.1.2.1"]
    history = client.get(base + "/historique", {"subject": "cae_6.1.1.2.1", "user": "edith"}).json()
    assert [(h["previous"], h["new"]["avancement"], h["user"]) for h in history] == [
        (None, "detaille", "edith")
    ]
    assert client.get(base + "/historique", {"user": "quelqu-un"}).json() == []


BAD_INPUT = [
    ("/statuts/cae_9.9.9", {"avancement": "fait"}, "action_id"),
    ("/statuts/cae_6.1.1.2.1", {"avancement": "detaille", "detaille": [60, 30, 20]}, "detaille"),
    ("/statuts/cae_6.1.1.2.1", {"avancement": "detaille", "detaille": "beaucoup"}, "detaille"),
    ("/statuts/cae_6.1.1.2.1", {"avancement": "a moitié"}, "avancement"),
    ("/reponses/demo_cep", {"valeur": "demo_cep_partout"}, "valeur"),
    ("/reponses/demo_jumelage", {"valeur": 0.5}, "valeur"),
    ("/reponses/inconnue", {"valeur": "OUI"}, "question_id"),
    ("/reponses/demo_jumelage", {"valeur": "OUI", "justification": "x" * 10_001}, "justification"),
    ("/explications/cae_6.1.1.2", {"texte": "x" * 10_001}, "texte"),
    ("/explications/cae_6.1.1.2", {}, "texte"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_INPUT)
def test_bad_input_is_a_422_with_field_and_reason(
    collectivite: Collectivite, editor: Member, path: str, body: dict[str, Any], field: str
) -> None:
    response = put(editor.client(), f"/api/collectivites/{collectivite.pk}{path}", body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail[0]["field"] == field and detail[0]["reason"]
    assert not StatutRecord.objects.exists()
    assert not Reponse.objects.exists() and not Explication.objects.exists()
    assert not HistoryEntry.objects.exists()


def test_desactive_action_is_refused_by_the_api(version: object) -> None:
    commune = make_collectivite("Petite commune", "commune", 2_000)
    member = make_member(commune, Role.EDITION, "maire")
    response = put(
        member.client(), f"/api/collectivites/{commune.pk}/statuts/cae_6.1.2.2.1", {"avancement": "fait"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "action_id"


def test_openapi_is_served() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/collectivites/{collectivite_id}/statuts/{action_id}" in schema["paths"]


def test_every_endpoint_declares_its_answers_and_their_schemas() -> None:
    schema = Client().get("/api/openapi.json").json()
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) == 41
    for path, method, op in operations:
        declared = op["responses"]
        expected = {"200", "401", "404", "422"} if "{collectivite_id}" in path else {"200", "401"}
        if method in ("put", "post", "patch", "delete"):
            expected |= {"403", "413"}
        assert set(declared) == expected, (method, path)
        for status, answer in declared.items():
            if path.endswith("/documents/{document_id}/fichier") and status == "200":
                # The bibliothèque's download: the file itself, never JSON.
                assert set(answer["content"]) == {"application/octet-stream"}
                continue
            if path.endswith("/documents/archive/{referentiel_id}") and status == "200":
                # The audit archive: a ZIP streamed as a download.
                assert answer["content"]["application/zip"]["schema"]["format"] == "binary"
                continue
            body = answer["content"]["application/json"]["schema"]
            assert body, (method, path, status)
            if status != "200":
                # A refused transition of the parcours also lists what is missing (RefusOut ⊃ ErrorOut).
                refus = status == "422" and body["$ref"].endswith("/RefusOut")
                assert body["$ref"].endswith("/ErrorOut") or refus, (method, path, status)


# Subjects side by side that a plain prefix would mix up.
SUBJECTS = [
    "cae_1",
    "cae_1.1",
    "cae_1.1.3",
    "cae_1.10",
    "cae_1.10.1",
    "eci_1.1",
    "AOM_1",
    "AOM_10",
    "demo_cep",
]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("cae_1.1", {"cae_1.1", "cae_1.1.3"}),
        ("cae_1.10", {"cae_1.10", "cae_1.10.1"}),
        ("cae_1", {"cae_1", "cae_1.1", "cae_1.1.3", "cae_1.10", "cae_1.10.1"}),
        ("cae_1.1.3", {"cae_1.1.3"}),
        ("cae", {"cae_1", "cae_1.1", "cae_1.1.3", "cae_1.10", "cae_1.10.1"}),
        ("AOM_1", {"AOM_1"}),
        ("demo_", {"demo_cep"}),
        ("cae_2", set()),
    ],
)
def test_history_subject_filter_takes_what_is_below_an_id_like_the_page(
    collectivite: Collectivite, editor: Member, subject: str, expected: set[str]
) -> None:
    HistoryEntry.objects.bulk_create(
        HistoryEntry(collectivite=collectivite, kind=Kind.EXPLICATION, subject=s, user=editor.user, new=s)
        for s in SUBJECTS
    )
    base = f"/api/collectivites/{collectivite.pk}/historique"
    response = editor.client().get(base, {"subject": subject})
    assert response.status_code == 200
    assert {h["subject"] for h in response.json()} == expected
    page = logged_in(editor).get(f"/c/{collectivite.pk}/historique/", {"action": subject}).content.decode()
    shown = {int(i) for i in re.findall(r'data-testid="entree-(\d+)"', page)}
    assert set(HistoryEntry.objects.filter(pk__in=shown).values_list("subject", flat=True)) == expected


def test_history_filters_by_kind_and_refuses_an_unknown_kind(
    collectivite: Collectivite, editor: Member
) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}"
    put(client, base + "/statuts/cae_6.1.1.2.1", {"avancement": "fait"})
    put(client, base + "/explications/cae_6.1.1.2", {"texte": "Délibération du 3 mars."})
    put(client, base + "/reponses/demo_jumelage", {"valeur": "OUI", "justification": "Jumelage avec Kassel."})
    kinds = {
        kind: [(h["kind"], h["subject"]) for h in client.get(base + "/historique", {"kind": kind}).json()]
        for kind in ("statut", "explication", "justification", "membre")
    }
    assert kinds == {
        "statut": [("statut", "cae_6.1.1.2.1")],
        "explication": [("explication", "cae_6.1.1.2")],
        "justification": [("justification", "demo_jumelage")],
        "membre": [],
    }
    both = client.get(base + "/historique", {"kind": "explication", "subject": "cae_6.1.1"}).json()
    assert [h["subject"] for h in both] == ["cae_6.1.1.2"]
    bad = client.get(base + "/historique", {"kind": "mystere"})
    assert bad.status_code == 422
    [detail] = bad.json()["detail"]
    assert detail["field"] == "kind" and "mystere" in detail["reason"] and "statut" in detail["reason"]


def test_the_collectivite_read_gives_the_root_scores_of_the_current_version(
    collectivite: Collectivite, editor: Member, tmp_path: Path
) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}"
    written = put(client, base + "/statuts/cae_6.1.1.2.1", {"avancement": "fait"}).json()
    assert client.get(base).json()["referentiels"]["cae"] == written["scores"]["cae"]
    # A new version (mesure 6.1.2 worth 8 points instead of 4): the read gives its scores at once.
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    mesure = folder / "cae" / "6.1.2.md"
    mesure.write_text(mesure.read_text(encoding="utf-8").replace("points: 4", "points: 8", 1), "utf-8")
    new = import_folder(folder).version
    root = client.get(base).json()["referentiels"]["cae"]
    assert root["point_referentiel"] == written["scores"]["cae"]["point_referentiel"] + 4
    assert root == scores(collectivite, "cae")["cae"]
    assert ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").version_id == new.pk
