"""The bibliothèque's writes and reads: files stored once per content, links, attachments, rights and the
history entries every write leaves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.preuves import files, services
from jalon.web.preuves.models import Attachment, Document, Target
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import HistoryEntry, Kind, Verrou
from tests.web.conftest import Member, make_collectivite, make_member

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 32


def upload(content: bytes, name: str = "rapport.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file())


def history(collectivite: Collectivite) -> list[tuple[str, object, object]]:
    return [
        (h.subject, h.previous, h.new)
        for h in HistoryEntry.objects.filter(collectivite=collectivite, kind=Kind.DOCUMENT).order_by("id")
    ]


def test_a_file_is_stored_under_its_sha256_with_its_checked_fields(
    collectivite: Collectivite, editor: Member, _files_in_tmp: Path
) -> None:
    found = services.add_file(collectivite, editor.user, upload(PDF, "Rapport 2025.pdf"), comment="vu")
    assert (found.title, found.name, found.size, found.mime) == (
        "Rapport 2025.pdf",
        "Rapport 2025.pdf",
        len(PDF),
        "application/pdf",
    )
    assert found.sha256 == hashlib.sha256(PDF).hexdigest()
    assert found.added_by == editor.user and found.comment == "vu" and not found.confidentiel
    assert [p.read_bytes() for p in stored_files(_files_in_tmp)] == [PDF]
    assert history(collectivite) == [(f"document {found.pk}", None, "Rapport 2025.pdf")]


def test_the_same_content_is_stored_once_and_kept_until_its_last_document_goes(
    collectivite: Collectivite,
    editor: Member,
    _files_in_tmp: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    other = make_collectivite("Autre")
    other_editor = make_member(other, Role.EDITION, "otto")
    first = services.add_file(collectivite, editor.user, upload(PDF, "a.pdf"))
    second = services.add_file(other, other_editor.user, upload(PDF, "b.pdf"))
    assert first.sha256 == second.sha256
    assert len(stored_files(_files_in_tmp)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.delete(collectivite, editor.user, first.pk)
    assert len(stored_files(_files_in_tmp)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.delete(other, other_editor.user, second.pk)
    assert stored_files(_files_in_tmp) == []
    assert history(collectivite) == [
        (f"document {first.pk}", None, "a.pdf"),
        (f"document {first.pk}", "a.pdf", None),
    ]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\rapport.pdf", "rapport.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("bilan\u202egnp.pdf", "bilangnp.pdf"),  # a right-to-left override hides the real extension
    ],
)
def test_the_original_name_keeps_no_path_nor_control_characters(
    collectivite: Collectivite, editor: Member, raw: str, kept: str
) -> None:
    assert services.add_file(collectivite, editor.user, upload(PDF, raw)).name == kept


@pytest.mark.parametrize("raw", ["\x00\x01", " . ", "\u200b"])
def test_a_name_with_nothing_left_is_refused(collectivite: Collectivite, editor: Member, raw: str) -> None:
    with pytest.raises(InputError) as refused:
        services.add_file(collectivite, editor.user, upload(PDF, raw))
    assert refused.value.field == "fichier"


@pytest.mark.parametrize("raw", ["../..", "/", "a/..", ""])
def test_a_path_with_no_file_name_is_refused(raw: str) -> None:
    with pytest.raises(InputError):
        files.clean_name(raw)


def test_a_file_too_big_is_refused_and_nothing_stored(
    collectivite: Collectivite, editor: Member, settings: object, _files_in_tmp: Path
) -> None:
    settings.JALON_MAX_UPLOAD_MB = 1  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="1 Mo au plus") as refused:
        services.add_file(collectivite, editor.user, upload(PDF + b"0" * (1024 * 1024)))
    assert refused.value.field == "fichier"
    assert stored_files(_files_in_tmp) == [] and not Document.objects.exists() and history(collectivite) == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.html"),
        (b"<html><script>alert(1)</script></html>", "page.txt"),  # markup under a text name
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image.svg"),
        (b'<?xml version="1.0"?><svg/>', "image.csv"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "programme.pdf"),  # an executable named .pdf
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "rapport.pdf"),
        (b"du texte sans extension connue", "notes.exe"),
        (b"\xff\xfe\x00t\x00e\x00x\x00t", "notes.txt"),  # not UTF-8
        (b"", "vide.pdf"),
    ],
)
def test_a_type_off_the_allow_list_is_refused(
    collectivite: Collectivite, editor: Member, content: bytes, name: str, _files_in_tmp: Path
) -> None:
    with pytest.raises(InputError) as refused:
        services.add_file(collectivite, editor.user, upload(content, name))
    assert refused.value.field == "fichier"
    assert stored_files(_files_in_tmp) == []


@pytest.mark.parametrize(
    ("content", "name", "mime"),
    [
        (PNG, "photo.jpg", "image/png"),  # the content decides, not the name
        (b"commune;population\nA;12\n", "donnees.csv", "text/csv"),
        ("Délibération du conseil\n".encode(), "note.txt", "text/plain"),
    ],
)
def test_the_type_is_sniffed_from_the_content(
    collectivite: Collectivite, editor: Member, content: bytes, name: str, mime: str
) -> None:
    assert services.add_file(collectivite, editor.user, upload(content, name)).mime == mime


def test_a_link_is_http_or_https_only(collectivite: Collectivite, editor: Member) -> None:
    found = services.add_link(
        collectivite, editor.user, " https://exemple.fr/deliberation ", title="Délibération"
    )
    assert (found.url, found.title, found.is_link) == (
        "https://exemple.fr/deliberation",
        "Délibération",
        True,
    )
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://exemple.fr/a",
        "https://",
        "http://a b.fr",
        "",
    ):
        with pytest.raises(InputError) as refused:
            services.add_link(collectivite, editor.user, bad)
        assert refused.value.field == "url"
    assert Document.objects.count() == 1


def test_the_title_and_comment_are_checked_by_field(collectivite: Collectivite, editor: Member) -> None:
    with pytest.raises(InputError) as refused:
        services.add_link(collectivite, editor.user, "https://exemple.fr", title="t" * 201)
    assert refused.value.field == "titre"
    with pytest.raises(InputError) as refused:
        services.add_link(collectivite, editor.user, "https://exemple.fr", comment="a\x1bb")
    assert refused.value.field == "commentaire"


def test_attach_and_detach_to_actions_and_preuves_with_history(
    collectivite: Collectivite, editor: Member
) -> None:
    loaded = current_loaded()[1]
    referentiel = next(iter(loaded.referentiels.values()))
    mesure = next(a for a in referentiel.actions.values() if a.depth == referentiel.action_level)
    found = services.add_link(collectivite, editor.user, "https://exemple.fr", title="Lien")
    assert services.attach(collectivite, editor.user, found.pk, Target.ACTION, mesure.id)
    assert not services.attach(collectivite, editor.user, found.pk, Target.ACTION, mesure.id)
    assert services.attached(editor.user, collectivite, Target.ACTION, [mesure.id]) == {mesure.id: [found]}
    if loaded.preuves:
        preuve = loaded.preuves[0].id
        assert services.attach(collectivite, editor.user, found.pk, Target.PREUVE, preuve)
        assert services.detach(collectivite, editor.user, found.pk, Target.PREUVE, preuve)
    assert services.detach(collectivite, editor.user, found.pk, Target.ACTION, mesure.id)
    assert not services.detach(collectivite, editor.user, found.pk, Target.ACTION, mesure.id)
    assert not Attachment.objects.exists()
    subjects = [s for s, _, _ in history(collectivite)]
    assert subjects[:2] == [f"document {found.pk}", f"document {found.pk} {mesure.id}"]
    assert subjects[-1] == f"document {found.pk} {mesure.id}"


def test_attaching_to_an_unknown_or_too_high_node_is_refused(
    collectivite: Collectivite, editor: Member
) -> None:
    referentiel = next(iter(current_loaded()[1].referentiels.values()))
    found = services.add_link(collectivite, editor.user, "https://exemple.fr")
    for target, target_id, field in [
        (Target.ACTION, referentiel.id, "action_id"),  # the root, not a mesure
        (Target.ACTION, "cae_99.99", "action_id"),
        (Target.PREUVE, "pas_une_preuve", "preuve_id"),
        ("axe", referentiel.id, "cible"),
    ]:
        with pytest.raises(InputError) as refused:
            services.attach(collectivite, editor.user, found.pk, target, target_id)
        assert refused.value.field == field
    other = make_collectivite("Autre")
    with pytest.raises(InputError) as refused:  # another collectivité's document
        services.attach(
            other, make_member(other, Role.EDITION, "otto").user, found.pk, Target.ACTION, referentiel.id
        )


def test_only_writing_roles_change_the_bibliotheque(collectivite: Collectivite, editor: Member) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea")
    with pytest.raises(PermissionDenied):
        services.add_link(collectivite, lecteur.user, "https://exemple.fr")
    found = services.add_link(collectivite, editor.user, "https://exemple.fr")
    with pytest.raises(PermissionDenied):
        services.delete(collectivite, lecteur.user, found.pk)
    with pytest.raises(Http404):
        services.add_link(collectivite, make_member(None, None, "nina").user, "https://exemple.fr")


def test_a_confidential_document_is_seen_by_writers_and_assigned_auditors_only(
    collectivite: Collectivite, editor: Member
) -> None:
    secret = services.add_file(collectivite, editor.user, upload(PDF), confidentiel=True)
    public = services.add_link(collectivite, editor.user, "https://exemple.fr")
    lecteur = make_member(collectivite, Role.LECTURE, "lea")
    auditeur = make_member(None, None, "aude")
    stranger = make_member(None, None, "nina")
    assert list(services.documents(editor.user, collectivite)) == [public, secret]
    assert list(services.documents(lecteur.user, collectivite)) == [public]
    with pytest.raises(Http404):
        services.document(lecteur.user, collectivite, secret.pk)
    with pytest.raises(Http404):
        services.documents(auditeur.user, collectivite)
    Verrou.objects.create(
        collectivite=collectivite, referentiel="cae", auteurs=[auditeur.user.pk], motif="audit"
    )
    assert services.document(auditeur.user, collectivite, secret.pk) == secret
    with pytest.raises(Http404):
        services.document(stranger.user, collectivite, public.pk)
