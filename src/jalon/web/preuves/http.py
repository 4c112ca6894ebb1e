"""The HTTP side of the bibliothèque: the upload's size refused before the body is read whole, and the
download, always as an attachment the browser never renders.

Pages and API endpoints that take a file call ``guard_upload`` before touching ``request.POST`` or
``request.FILES`` (the view must be ``csrf_exempt`` around a ``csrf_protect``ed body, else the CSRF
check parses the body first with the default handlers): a ``Content-Length`` above the limit is refused
at once, and a body that runs past it (a chunked upload, a wrong length) is cut by ``LimitedUpload``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone

from jalon.referentiel.model import Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.errors import InputError
from jalon.web.preuves import archive, files
from jalon.web.preuves.models import Document

FORM_OVERHEAD = 64 * 1024  # the multipart boundaries and the other fields of the form


def too_big() -> InputError:
    return InputError("fichier", f"fichier trop gros : {settings.JALON_MAX_UPLOAD_MB} Mo au plus")


class LimitedUpload(FileUploadHandler):
    """Counts the bytes of every file of the body; past the limit, stops reading it."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > files.max_upload_bytes():
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handlers (memory or temporary file) keep it

    def file_complete(self, file_size: int) -> Any:
        return None


def guard_upload(request: HttpRequest) -> LimitedUpload:
    """Refuse a body announced too big (``InputError``) and put the counting handler first; call
    ``check_guard`` once the body is parsed."""
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        announced = int(raw)
    except ValueError:
        announced = 0
    if announced > files.max_upload_bytes() + FORM_OVERHEAD:
        raise too_big()
    handler = LimitedUpload(request)
    request.upload_handlers = [handler, *request.upload_handlers]
    return handler


def check_guard(handler: LimitedUpload) -> None:
    if handler.exceeded:
        raise too_big()


def download(found: Document) -> FileResponse:
    """A stored file's response: always downloaded (never shown inline), under its original name, with
    its sniffed type and no sniffing by the browser. The caller has checked the person's rights."""
    assert found.sha256, "a link has no file"
    response = FileResponse(
        default_storage.open(files.path_of(found.sha256), "rb"),
        as_attachment=True,
        filename=found.name,
        content_type=found.mime
        if found.mime in files.ALLOWED or found.mime.startswith("text/")
        else "application/octet-stream",
    )
    if found.mime.startswith("text/"):
        response["Content-Type"] = f"{found.mime}; charset=utf-8"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def archive_download(
    collectivite: Collectivite, referentiel: Referentiel, placements: list[archive.Placement]
) -> StreamingHttpResponse:
    """The audit archive, streamed as it is zipped (no length known in advance), always downloaded. The
    caller has made the plan with the person's rights (``services.archive_plan``)."""
    now = timezone.now()
    response = StreamingHttpResponse(archive.stream(placements, now), content_type="application/zip")
    name = f"preuves-{collectivite.pk}-{referentiel.id}-{timezone.localdate(now):%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
