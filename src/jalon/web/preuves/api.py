"""JSON API of the bibliothèque, mounted by ``jalon.web.api``: a collectivité's documents (files by a
multipart upload, links by JSON), their attachments, a file's download.

Who sees: the collectivité's members and the assigned auditors of one of its audits (a confidential
document: the roles that write and those auditors only); anyone else gets 404, as for a document
they may not see. Writes: the roles that write (403 otherwise); bad input is a 422 naming the field.
An upload larger than ``JALON_MAX_UPLOAD_MB`` is refused (413) before its body is read
(``limits.ApiGuardMiddleware`` allows this endpoint that size, and no other)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile
from pydantic import StrictBool, StrictStr

from jalon.web.api_common import ApiError, Out, Strict, caller, errors, is_row_id
from jalon.web.collectivites.models import Collectivite
from jalon.web.preuves import http, services
from jalon.web.preuves.models import Document
from jalon.web.statuts.services import acces_of

router = Router(tags=["bibliothèque"])

DOCS = "/collectivites/{collectivite_id}/documents"
DOC = DOCS + "/{document_id}"
READ = errors(401, 404, 422)
WRITE = errors(401, 403, 404, 413, 422)

T = TypeVar("T")


class RattachementOut(Out):
    cible: Literal["action", "preuve"]
    cible_id: str


class DocumentOut(Out):
    id: int
    titre: str
    commentaire: str
    lien: str | None
    nom: str | None
    taille: int | None
    type: str | None
    sha256: str | None
    confidentiel: bool
    ajoute_par: str | None
    ajoute_le: datetime
    rattachements: list[RattachementOut]


class LienIn(Strict):
    url: StrictStr
    titre: StrictStr = ""
    commentaire: StrictStr = ""
    confidentiel: StrictBool = False


class RattachementIn(Strict):
    cible: Literal["action", "preuve"]
    cible_id: StrictStr


def _out(found: Document) -> DocumentOut:
    fichier = not found.is_link
    return DocumentOut(
        id=found.pk,
        titre=found.title,
        commentaire=found.comment,
        lien=None if fichier else found.url,
        nom=found.name if fichier else None,
        taille=found.size if fichier else None,
        type=found.mime if fichier else None,
        sha256=found.sha256 if fichier else None,
        confidentiel=found.confidentiel,
        ajoute_par=found.added_by.username if found.added_by is not None else None,
        ajoute_le=found.added_at,
        rattachements=[
            RattachementOut(cible=a.target, cible_id=a.target_id)  # type: ignore[arg-type]
            for a in found.attachments.all()
        ],
    )


def _collectivite(request: HttpRequest, collectivite_id: int) -> Collectivite:
    found = acces_of(request.user, collectivite_id) if is_row_id(collectivite_id) else None
    if found is None:
        raise ApiError(404, "collectivite_id", "collectivité introuvable")
    return found.collectivite


def _document(request: HttpRequest, c: Collectivite, document_id: int) -> Document:
    found = (
        services.documents(request.user, c).filter(pk=document_id).first() if is_row_id(document_id) else None
    )
    if found is None:
        raise ApiError(404, "document_id", "document introuvable")
    return found


def _write(run: Callable[[], T]) -> T:
    try:
        return run()
    except PermissionDenied as refused:
        raise ApiError(403, "authorization", str(refused) or "accès refusé") from None


@router.get(
    DOCS, response={200: list[DocumentOut], **READ}, operation_id="jalon_web_preuves_api_list_documents"
)
def list_documents(request: HttpRequest, collectivite_id: int) -> Any:
    """The collectivité's documents the caller may see, the latest first."""
    c = _collectivite(request, collectivite_id)
    return [_out(d) for d in services.documents(request.user, c).select_related("added_by")]


@router.post(
    DOCS + "/fichier", response={200: DocumentOut, **WRITE}, operation_id="jalon_web_preuves_api_add_fichier"
)
def add_fichier(
    request: HttpRequest,
    collectivite_id: int,
    fichier: File[UploadedFile],
    titre: Form[str] = "",
    commentaire: Form[str] = "",
    confidentiel: Form[bool] = False,
) -> Any:
    """Upload a file (multipart/form-data, field ``fichier``): its type is sniffed from its content."""
    c = _collectivite(request, collectivite_id)
    user = caller(request)
    added = _write(
        lambda: services.add_file(
            c, user, fichier, title=titre, comment=commentaire, confidentiel=confidentiel
        )
    )
    return _out(added)


@router.post(
    DOCS + "/lien", response={200: DocumentOut, **WRITE}, operation_id="jalon_web_preuves_api_add_lien"
)
def add_lien(request: HttpRequest, collectivite_id: int, body: LienIn) -> Any:
    """Add a link (http or https)."""
    c = _collectivite(request, collectivite_id)
    user = caller(request)
    added = _write(
        lambda: services.add_link(
            c, user, body.url, title=body.titre, comment=body.commentaire, confidentiel=body.confidentiel
        )
    )
    return _out(added)


class SupprimeOut(Out):
    id: int
    supprime: bool


@router.delete(
    DOC, response={200: SupprimeOut, **WRITE}, operation_id="jalon_web_preuves_api_delete_document"
)
def delete_document(request: HttpRequest, collectivite_id: int, document_id: int) -> Any:
    """Delete a document and its attachments."""
    c = _collectivite(request, collectivite_id)
    found = _document(request, c, document_id)
    user = caller(request)
    _write(lambda: services.delete(c, user, found.pk))
    return SupprimeOut(id=found.pk, supprime=True)


@router.post(
    DOC + "/rattachements", response={200: DocumentOut, **WRITE}, operation_id="jalon_web_preuves_api_attach"
)
def attach(request: HttpRequest, collectivite_id: int, document_id: int, body: RattachementIn) -> Any:
    """Attach the document to a mesure, sous-mesure or tâche, or to a preuve réglementaire."""
    c = _collectivite(request, collectivite_id)
    found = _document(request, c, document_id)
    user = caller(request)
    _write(lambda: services.attach(c, user, found.pk, body.cible, body.cible_id))
    return _out(_document(request, c, document_id))


@router.delete(
    DOC + "/rattachements", response={200: DocumentOut, **WRITE}, operation_id="jalon_web_preuves_api_detach"
)
def detach(
    request: HttpRequest,
    collectivite_id: int,
    document_id: int,
    cible: Literal["action", "preuve"],
    cible_id: str,
) -> Any:
    """Take the document off an action or a preuve réglementaire (query: ``cible``, ``cible_id``)."""
    c = _collectivite(request, collectivite_id)
    found = _document(request, c, document_id)
    user = caller(request)
    _write(lambda: services.detach(c, user, found.pk, cible, cible_id))
    return _out(_document(request, c, document_id))


@router.get(
    DOC + "/fichier",
    response={200: None, **READ},
    operation_id="jalon_web_preuves_api_download",
    openapi_extra={
        "responses": {
            200: {"description": "le fichier, en pièce jointe", "content": {"application/octet-stream": {}}}
        }
    },
)
def download(request: HttpRequest, collectivite_id: int, document_id: int) -> HttpResponse:
    """The stored file, always as an attachment (``Content-Disposition: attachment``, ``nosniff``)."""
    c = _collectivite(request, collectivite_id)
    found = _document(request, c, document_id)
    if found.is_link:
        raise ApiError(404, "document_id", "ce document est un lien, sans fichier")
    return http.download(found)  # type: ignore[return-value]


@router.get(
    DOCS + "/archive/{referentiel_id}",
    response={200: None, **READ},
    operation_id="jalon_web_preuves_api_archive",
    openapi_extra={
        "responses": {
            200: {
                "description": "l'archive d'audit (ZIP produit au fil de l'envoi), en pièce jointe : un "
                "dossier par action avec ses fichiers et ceux des preuves réglementaires qu'elle attend, "
                "index.csv et liens.csv",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def archive(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> HttpResponse:
    """Every preuve of the collectivité for a référentiel, as a ZIP streamed while it is built: to its
    members (confidential files only to the roles that see them) and the référentiel's assigned
    auditors."""
    c = _collectivite(request, collectivite_id)
    try:
        referentiel, placements = services.archive_plan(request.user, c, referentiel_id)
    except Http404:
        raise ApiError(404, "referentiel_id", f"référentiel inconnu : {referentiel_id[:40]!r}") from None
    return http.archive_download(c, referentiel, placements)  # type: ignore[return-value]
