"""The bibliothèque's JSON API: multipart upload and download round trip, links, attachments, the size
refused before the body is read, and the rights (a confidential document is a 404 to lecture)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.preuves.models import Document
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, make_member

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"


def docs(collectivite: Collectivite) -> str:
    return f"/api/collectivites/{collectivite.pk}/documents"


def test_upload_and_download_round_trip(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    answer = client.post(
        docs(collectivite) + "/fichier",
        {
            "fichier": SimpleUploadedFile("../../etc/rapport.pdf", PDF),
            "titre": "Rapport",
            "confidentiel": "true",
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["titre"], body["nom"], body["taille"], body["type"], body["confidentiel"]) == (
        "Rapport",
        "rapport.pdf",
        len(PDF),
        "application/pdf",
        True,
    )
    got = client.get(f"{docs(collectivite)}/{body['id']}/fichier")
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF  # type: ignore[attr-defined]
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert [d["id"] for d in client.get(docs(collectivite)).json()] == [body["id"]]


def test_a_refused_type_is_a_422_naming_the_field(collectivite: Collectivite, editor: Member) -> None:
    answer = editor.client().post(
        docs(collectivite) + "/fichier", {"fichier": SimpleUploadedFile("a.svg", b"<svg onload='x'/>")}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "fichier"


def test_a_body_too_big_is_a_413_before_it_is_read(
    collectivite: Collectivite, editor: Member, settings: Any
) -> None:
    settings.JALON_MAX_UPLOAD_MB = 1
    answer = editor.client().post(
        docs(collectivite) + "/fichier",
        {"fichier": SimpleUploadedFile("gros.pdf", PDF + b"0" * (2 * 1024 * 1024))},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"][0]["field"] == "body"
    assert not Document.objects.exists()


def test_other_endpoints_keep_the_api_body_limit(collectivite: Collectivite, editor: Member) -> None:
    answer = editor.client().post(
        docs(collectivite) + "/lien",
        data=b'{"url": "https://exemple.fr", "commentaire": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        content_type="application/json",
    )
    assert answer.status_code == 413


def test_links_and_attachments_with_history(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    answer = client.post(
        docs(collectivite) + "/lien",
        {"url": "https://exemple.fr/pv", "titre": "PV"},
        content_type="application/json",
    )
    assert answer.status_code == 200
    document_id = answer.json()["id"]
    referentiel = next(iter(current_loaded()[1].referentiels.values()))
    mesure = next(a.id for a in referentiel.actions.values() if a.depth == referentiel.action_level)
    attached = client.post(
        f"{docs(collectivite)}/{document_id}/rattachements",
        {"cible": "action", "cible_id": mesure},
        content_type="application/json",
    )
    assert attached.status_code == 200
    assert attached.json()["rattachements"] == [{"cible": "action", "cible_id": mesure}]
    refused = client.post(
        f"{docs(collectivite)}/{document_id}/rattachements",
        {"cible": "preuve", "cible_id": "inconnue"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "preuve_id"
    detached = client.delete(
        f"{docs(collectivite)}/{document_id}/rattachements?cible=action&cible_id={mesure}"
    )
    assert detached.status_code == 200 and detached.json()["rattachements"] == []
    assert client.delete(f"{docs(collectivite)}/{document_id}").json() == {
        "id": document_id,
        "supprime": True,
    }
    assert HistoryEntry.objects.filter(kind=Kind.DOCUMENT).count() == 4
    bad = client.post(
        docs(collectivite) + "/lien", {"url": "javascript:alert(1)"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "url"


def test_rights(collectivite: Collectivite, editor: Member) -> None:
    secret = (
        editor.client()
        .post(
            docs(collectivite) + "/fichier",
            {"fichier": SimpleUploadedFile("s.pdf", PDF), "confidentiel": "true"},
        )
        .json()["id"]
    )
    lecture = make_member(collectivite, Role.LECTURE, "lea").client()
    assert lecture.get(f"{docs(collectivite)}/{secret}/fichier").status_code == 404
    assert lecture.get(docs(collectivite)).json() == []
    assert (
        lecture.post(
            docs(collectivite) + "/lien", {"url": "https://exemple.fr"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert lecture.delete(f"{docs(collectivite)}/{secret}").status_code == 404  # not even said to exist
    stranger = make_member(None, None, "nina").client()
    assert stranger.get(docs(collectivite)).status_code == 404
    assert stranger.get(f"{docs(collectivite)}/{secret}/fichier").status_code == 404
    assert Document.objects.count() == 1
