"""The audit archive: a ZIP streamed while it is built, one folder per action (preuves réglementaires
under the actions that expect them), index.csv and liens.csv; the same rights as a download (a
confidential file left out for lecture), 404 to a non-member, given to the assigned auditor."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse

from jalon.referentiel.model import Action, Preuve, Referentiel
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.preuves import archive, files, services
from jalon.web.preuves.models import Document, Target
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import Verrou
from tests.web.conftest import Member, logged_in, make_member

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer\n%%EOF\n"
SECRET = b"%PDF-1.4\n% secret\n%%EOF\n"
CSV = "Année;Tonnes\n2024;12\n".encode()


def url(collectivite: Collectivite, referentiel_id: str = "cae") -> str:
    return f"/api/collectivites/{collectivite.pk}/documents/archive/{referentiel_id}"


def cae() -> Referentiel:
    return current_loaded()[1].referentiels["cae"]


def mesures(referentiel: Referentiel) -> list[Action]:
    return [a for a in referentiel.actions.values() if a.depth == referentiel.action_level]


def a_preuve(referentiel: Referentiel) -> Preuve:
    return next(
        p
        for p in current_loaded()[1].preuves
        if any(a.startswith(referentiel.id + "_") and a in referentiel.actions for a in p.action_ids)
    )


def folder(action: Action) -> str:
    return archive.safe_part(f"{action.identifiant} {action.nom}")


def unzip(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    return zipfile.ZipFile(io.BytesIO(response.getvalue()))


def rows(zipped: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    raw = zipped.read(name)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need to read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def filled(collectivite: Collectivite, editor: Member) -> dict[str, Document]:
    """A file on a mesure, a confidential file on the same, a file on a preuve réglementaire, a link."""
    mesure = mesures(cae())[0]
    preuve = a_preuve(cae())
    on_mesure = services.add_file(
        collectivite, editor.user, SimpleUploadedFile("rapport.pdf", PDF), title="Rapport"
    )
    secret = services.add_file(
        collectivite, editor.user, SimpleUploadedFile("rapport.pdf", SECRET), confidentiel=True
    )
    on_preuve = services.add_file(collectivite, editor.user, SimpleUploadedFile("bilan.csv", CSV))
    link = services.add_link(collectivite, editor.user, "https://exemple.fr/deliberation", title="Délib")
    for found in (on_mesure, secret, link):
        services.attach(collectivite, editor.user, found.pk, Target.ACTION, mesure.id)
    services.attach(collectivite, editor.user, on_preuve.pk, Target.PREUVE, preuve.id)
    return {"mesure": on_mesure, "secret": secret, "preuve": on_preuve, "lien": link}


def test_the_archive_is_streamed_and_organised_by_action(
    collectivite: Collectivite, editor: Member, filled: dict[str, Document]
) -> None:
    response = editor.client().get(url(collectivite))
    assert response["Content-Disposition"].startswith('attachment; filename="preuves-')
    assert response["Content-Type"] == "application/zip"
    zipped = unzip(response)
    mesure = mesures(cae())[0]
    preuve = a_preuve(cae())
    preuve_action = cae().actions[next(a for a in preuve.action_ids if a in cae().actions)]
    label = archive.safe_part(f"Preuve réglementaire - {preuve.id} - {preuve.nom}")
    preuve_folder = f"{folder(preuve_action)}/{label}"
    expected = {
        f"{folder(mesure)}/rapport.pdf": PDF,
        f"{folder(mesure)}/rapport (2).pdf": SECRET,  # same name, another content: both kept
        f"{preuve_folder}/bilan.csv": CSV,
    }
    for name, content in expected.items():
        assert zipped.read(name) == content
    assert set(zipped.namelist()) - set(expected) >= {"index.csv", "liens.csv"}
    index = rows(zipped, "index.csv")
    assert list(index[0]) == [*archive.INDEX_HEADERS]
    by_title = {r["Titre"]: r for r in index}
    assert by_title["Rapport"] == {
        "Action": mesure.identifiant,
        "Preuve réglementaire": "",
        "Titre": "Rapport",
        "Fichier": f"{folder(mesure)}/rapport.pdf",
        "Taille (octets)": str(len(PDF)),
        "SHA-256": hashlib.sha256(PDF).hexdigest(),
        "Lien": "",
        "Confidentiel": "non",
        "Ajouté par": editor.user.username,
        "Ajouté le": by_title["Rapport"]["Ajouté le"],
    }
    assert by_title["bilan.csv"]["Preuve réglementaire"] == f"{preuve.id} - {preuve.nom}"
    assert by_title["Délib"]["Lien"] == "https://exemple.fr/deliberation"
    assert by_title["Délib"]["Fichier"] == ""
    assert [(r["Action"], r["Titre"], r["Lien"]) for r in rows(zipped, "liens.csv")] == [
        (mesure.identifiant, "Délib", "https://exemple.fr/deliberation")
    ]


def test_a_confidential_file_is_left_out_for_a_lecture_member(
    collectivite: Collectivite, filled: dict[str, Document]
) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea")
    zipped = unzip(lecteur.client().get(url(collectivite)))
    contents = [zipped.read(n) for n in zipped.namelist()]
    assert PDF in contents and SECRET not in contents
    assert "oui" not in {r["Confidentiel"] for r in rows(zipped, "index.csv")}
    assert len(rows(zipped, "index.csv")) == 3


def test_a_non_member_gets_404_and_an_assigned_auditor_gets_the_archive(
    collectivite: Collectivite, filled: dict[str, Document]
) -> None:
    auditeur = make_member(None, None, "aude")
    assert auditeur.client().get(url(collectivite)).status_code == 404
    # The auditor of another référentiel's audit does not get this one's.
    Verrou.objects.create(collectivite=collectivite, referentiel="eci", auteurs=[auditeur.user.pk], motif="x")
    assert auditeur.client().get(url(collectivite)).status_code == 404
    Verrou.objects.create(
        collectivite=collectivite, referentiel="cae", auteurs=[auditeur.user.pk], motif="audit"
    )
    zipped = unzip(auditeur.client().get(url(collectivite)))
    assert SECRET in [zipped.read(n) for n in zipped.namelist()]  # an assigned auditor sees it
    # An unknown référentiel is a 404 naming the field.
    unknown = auditeur.client().get(url(collectivite, "inconnu"))
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["field"] == "referentiel_id"


def test_a_file_missing_from_the_storage_is_listed_not_zipped(
    collectivite: Collectivite, editor: Member, filled: dict[str, Document], _files_in_tmp: Path
) -> None:
    (_files_in_tmp / files.path_of(filled["preuve"].sha256)).unlink()
    zipped = unzip(editor.client().get(url(collectivite)))
    assert CSV not in [zipped.read(n) for n in zipped.namelist()]
    by_title = {r["Titre"]: r for r in rows(zipped, "index.csv")}
    assert by_title["bilan.csv"]["Fichier"] == archive.MISSING


def test_the_bibliotheque_page_links_to_the_archive_which_downloads(
    collectivite: Collectivite, editor: Member, filled: dict[str, Document]
) -> None:
    client = logged_in(editor)
    page = client.get(f"/c/{collectivite.pk}/bibliotheque/")
    link = f"/c/{collectivite.pk}/bibliotheque/archive/cae/"
    assert link in page.content.decode()
    zipped = unzip(client.get(link))
    assert "index.csv" in zipped.namelist()
    assert logged_in(make_member(None, None, "nina")).get(link).status_code == 404


def test_file_contents_are_read_only_as_the_archive_is_sent(
    collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    mesure = mesures(cae())[0]
    # Two files each larger than a streamed chunk once compressed (base64 of random bytes).
    contents = [base64.b64encode(os.urandom(300_000)) for _ in range(2)]
    for n, content in enumerate(contents):
        added = services.add_file(collectivite, editor.user, SimpleUploadedFile(f"gros{n}.txt", content))
        services.attach(collectivite, editor.user, added.pk, Target.ACTION, mesure.id)
    opened: list[str] = []
    original = archive._content

    def recording(sha256: str) -> Iterator[bytes]:
        opened.append(sha256)
        yield from original(sha256)

    monkeypatch.setattr(archive, "_content", recording)
    response = editor.client().get(url(collectivite))
    assert isinstance(response, StreamingHttpResponse) and opened == []  # nothing read yet
    sent: list[bytes] = []
    read_when_sent: list[int] = []  # how many files had been opened as each chunk went out
    for chunk in response.streaming_content:
        sent.append(bytes(chunk))
        read_when_sent.append(len(opened))
    assert read_when_sent[0] == 0 and 1 in read_when_sent and read_when_sent[-1] == 2
    zipped = zipfile.ZipFile(io.BytesIO(b"".join(sent)))
    assert sorted(zipped.read(f"{folder(mesure)}/gros{n}.txt") for n in range(2)) == sorted(contents)


def test_the_labellisation_page_links_to_the_archive(collectivite: Collectivite, editor: Member) -> None:
    page = logged_in(editor).get(f"/c/{collectivite.pk}/labellisation/").content.decode()
    assert f"/c/{collectivite.pk}/bibliotheque/archive/cae/" in page


def test_a_long_file_name_is_cut_keeping_its_extension(collectivite: Collectivite, editor: Member) -> None:
    mesure = mesures(cae())[0]
    added = services.add_file(
        collectivite, editor.user, SimpleUploadedFile("a" * 240 + ".pdf", PDF), title="Long"
    )
    services.attach(collectivite, editor.user, added.pk, Target.ACTION, mesure.id)
    zipped = unzip(editor.client().get(url(collectivite)))
    assert zipped.read(f"{folder(mesure)}/{'a' * (archive.MAX_FILE - 4)}.pdf") == PDF
