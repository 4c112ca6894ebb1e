"""The bibliothèque page: upload and download round trip, the limits as a browser meets them, and the
rights on every download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.preuves import services
from jalon.web.preuves.models import Document
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, logged_in, make_member

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"


def page(collectivite: Collectivite) -> str:
    return f"/c/{collectivite.pk}/bibliotheque/"


def fichier(collectivite: Collectivite, document: Document) -> str:
    return f"/c/{collectivite.pk}/bibliotheque/{document.pk}/fichier/"


def test_a_file_uploaded_is_listed_and_downloaded_as_an_attachment(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    sent = SimpleUploadedFile("Délibération 2025.pdf", PDF)
    answer = client.post(
        page(collectivite),
        {"deposer": "1", "fichier": sent, "titre": "Délibération", "commentaire": "du conseil"},
    )
    assert answer.status_code == 302
    document = Document.objects.get()
    listed = client.get(page(collectivite))
    assert "Délibération" in listed.content.decode() and "du conseil" in listed.content.decode()
    got = client.get(fichier(collectivite, document))
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == PDF  # type: ignore[attr-defined]
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("attachment;")
    assert "D%C3%A9lib%C3%A9ration%202025.pdf" in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    assert HistoryEntry.objects.filter(kind=Kind.DOCUMENT, subject=f"document {document.pk}").count() == 1


def test_a_text_file_is_never_served_inline(collectivite: Collectivite, editor: Member) -> None:
    document = services.add_file(collectivite, editor.user, SimpleUploadedFile("notes.txt", b"bonjour\n"))
    got = logged_in(editor).get(fichier(collectivite, document))
    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]


def test_html_and_svg_are_refused_at_upload(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    for name, content in [
        ("page.html", b"<html><body><script>alert(1)</script></body></html>"),
        ("dessin.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ]:
        answer = client.post(
            page(collectivite), {"deposer": "1", "fichier": SimpleUploadedFile(name, content)}
        )
        assert answer.status_code == 400
        assert "fichier : type de fichier" in answer.content.decode()
    assert not Document.objects.exists()


def test_a_body_announced_too_big_is_refused_before_it_is_read(
    collectivite: Collectivite, editor: Member, settings: Any, _files_in_tmp: Path
) -> None:
    settings.JALON_MAX_UPLOAD_MB = 1
    client = logged_in(editor)
    answer = client.post(
        page(collectivite),
        {"deposer": "1", "fichier": SimpleUploadedFile("gros.pdf", PDF + b"0" * (2 * 1024 * 1024))},
    )
    assert answer.status_code == 413
    assert "1 Mo au plus" in answer.content.decode()
    assert not Document.objects.exists() and not _files_in_tmp.exists()


def test_a_body_longer_than_announced_is_cut_by_the_upload_handler(
    collectivite: Collectivite, editor: Member, settings: Any, _files_in_tmp: Path
) -> None:
    settings.JALON_MAX_UPLOAD_MB = 1
    client = logged_in(editor)
    # Just under the announced limit with the form's overhead: the handler counts the file's own bytes.
    answer = client.post(
        page(collectivite),
        {"deposer": "1", "fichier": SimpleUploadedFile("gros.pdf", PDF + b"0" * (1024 * 1024 + 10))},
    )
    assert answer.status_code == 400
    assert "1 Mo au plus" in answer.content.decode()
    assert not Document.objects.exists()


def test_a_confidential_file_is_hidden_from_lecture_and_a_non_member_gets_404(
    collectivite: Collectivite, editor: Member
) -> None:
    secret = services.add_file(
        collectivite, editor.user, SimpleUploadedFile("secret.pdf", PDF), confidentiel=True
    )
    public = services.add_file(
        collectivite, editor.user, SimpleUploadedFile("public.pdf", b"%PDF-1.7\npublic")
    )
    lecture = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    assert lecture.get(fichier(collectivite, secret)).status_code == 404
    assert lecture.get(fichier(collectivite, public)).status_code == 200
    assert "secret.pdf" not in lecture.get(page(collectivite)).content.decode()
    stranger = logged_in(make_member(None, None, "nina"))
    assert stranger.get(fichier(collectivite, public)).status_code == 404
    assert stranger.get(page(collectivite)).status_code == 404
    assert Client().get(fichier(collectivite, public)).status_code == 302  # to the login page


def test_lecture_cannot_upload_nor_delete(collectivite: Collectivite, editor: Member) -> None:
    document = services.add_link(collectivite, editor.user, "https://exemple.fr", title="Lien")
    lecture = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    assert lecture.post(page(collectivite), {"supprimer": str(document.pk)}).status_code == 403
    assert (
        lecture.post(
            page(collectivite), {"deposer": "1", "fichier": SimpleUploadedFile("a.pdf", PDF)}
        ).status_code
        == 403
    )
    assert Document.objects.count() == 1


def test_a_link_is_added_and_deleted_from_the_page(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    assert client.post(page(collectivite), {"lien": "1", "url": "javascript:alert(1)"}).status_code == 400
    assert (
        client.post(
            page(collectivite), {"lien": "1", "url": "https://exemple.fr/a", "titre": "A"}
        ).status_code
        == 302
    )
    document = Document.objects.get()
    assert 'rel="noopener noreferrer nofollow"' in client.get(page(collectivite)).content.decode()
    assert logged_in(editor).get(fichier(collectivite, document)).status_code == 404  # a link has no file
    assert client.post(page(collectivite), {"supprimer": str(document.pk)}).status_code == 302
    assert not Document.objects.exists()


def test_the_csrf_check_still_guards_the_page(collectivite: Collectivite, editor: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor.user)
    assert client.post(page(collectivite), {"lien": "1", "url": "https://exemple.fr"}).status_code == 403
    assert not Document.objects.exists()


def test_the_bibliotheques_changes_are_on_the_history_page(
    collectivite: Collectivite, editor: Member
) -> None:
    document = services.add_link(
        collectivite, editor.user, "https://exemple.fr", title="Délibération du 3 mars"
    )
    services.delete(collectivite, editor.user, document.pk)
    html = logged_in(editor).get(f"/c/{collectivite.pk}/historique/").content.decode()
    assert html.count("Délibération du 3 mars") == 2  # added, then deleted
    assert f"document {document.pk}" in html
