"""What an uploaded file must be, and where its content is kept.

The content is stored through Django's storage API under ``preuves/<sha256>``: the same content, from
any collectivité, is stored once. Its type is sniffed from the content (``filetype``), never taken from
the name or the browser, and must be on the allow-list; text (TXT, CSV) is recognised by its name and a
content that decodes as UTF-8 with no markup a browser could run (HTML, SVG, XML)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import filetype
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from jalon.web.errors import InputError
from jalon.web.preuves.models import Document

MAX_NAME = 255
SNIFF_BYTES = 8192  # what filetype reads, and where text is checked for markup

# The sniffed types a document may have (French names for the error message).
ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/zip": "ZIP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/msword": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument texte",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument tableur",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument présentation",
}
TEXT_TYPES = {".txt": "text/plain", ".csv": "text/csv", ".md": "text/plain"}
_MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|iframe|body|head)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/\\]")
_SHA256 = re.compile(r"[0-9a-f]{64}")
FOLDER = "preuves"


class Upload(Protocol):
    """What the checks read of an uploaded file (Django's ``UploadedFile``)."""

    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...

    def seek(self, offset: int, whence: int = 0) -> int: ...

    def read(self, size: int = -1) -> bytes: ...


def max_upload_bytes() -> int:
    return int(settings.JALON_MAX_UPLOAD_MB) * 1024 * 1024


def clean_name(raw: str) -> str:
    """The original name kept: its last path component, without control or format characters, at most
    255 characters; an ``InputError`` on ``fichier`` when nothing is left."""
    base = _SEPARATORS.split(raw)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".").strip()
    if len(kept) > MAX_NAME:
        stem, dot, ext = kept.rpartition(".")
        kept = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else kept[:MAX_NAME]
    if not kept:
        raise InputError("fichier", f"nom de fichier inutilisable : {raw[:60]!r}")
    return kept


def _extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def sniff(head: bytes, name: str) -> str:
    """The type of a file from its first bytes (and, for text only, its name), or an ``InputError`` on
    ``fichier`` when it is not on the allow-list."""
    found = filetype.guess(head)
    if found is not None:
        if found.mime in ALLOWED:
            return str(found.mime)
        raise InputError("fichier", f"type de fichier refusé : {found.mime} ; {_accepted()}")
    text_type = TEXT_TYPES.get(_extension(name))
    if text_type is None or b"\x00" in head or _MARKUP.search(head):
        raise InputError("fichier", f"type de fichier non reconnu ou refusé ; {_accepted()}")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut by the end of the head
            raise InputError("fichier", "un fichier texte doit être en UTF-8") from None
    return text_type


def _accepted() -> str:
    names = [*sorted(set(ALLOWED.values())), "texte (.txt, .csv, .md)"]
    return "attendu : " + ", ".join(names)


@dataclass(frozen=True)
class Stored:
    name: str
    sha256: str
    size: int
    mime: str


def path_of(sha256: str) -> str:
    return f"{FOLDER}/{sha256}"


def store(upload: Upload) -> Stored:
    """Check the upload (size, name, type) and keep its content, once per sha256. Nothing is stored when
    a check fails."""
    limit = max_upload_bytes()
    if upload.size is None or upload.size > limit:
        raise InputError("fichier", f"fichier trop gros : {settings.JALON_MAX_UPLOAD_MB} Mo au plus")
    if upload.size == 0:
        raise InputError("fichier", "fichier vide")
    name = clean_name(upload.name or "")
    upload.seek(0)
    mime = sniff(upload.read(SNIFF_BYTES), name)
    upload.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > limit:  # a size announced smaller than the body
            raise InputError("fichier", f"fichier trop gros : {settings.JALON_MAX_UPLOAD_MB} Mo au plus")
    sha256 = digest.hexdigest()
    path = path_of(sha256)
    if not default_storage.exists(path):
        upload.seek(0)
        saved = default_storage.save(path, File(upload, name=path))  # type: ignore[arg-type]
        if saved != path:  # stored at the same moment by another upload: keep one
            default_storage.delete(saved)
    return Stored(name, sha256, size, mime)


def remove_unreferenced(older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Remove the stored contents no document references any more (left by a delete whose clean-up did
    not run, or by a restore), and return their paths. Only ``preuves/<sha256>`` names are considered;
    a content written less than ``older_than`` ago is kept: its document may be about to be created
    (``store`` writes the content first). Jalons and archives record no content of their own yet, so
    the documents are all that hold one."""
    if not default_storage.exists(FOLDER):
        return []
    _, names = default_storage.listdir(FOLDER)
    candidates = {name for name in names if _SHA256.fullmatch(name)}
    referenced = set(Document.objects.filter(sha256__in=candidates).values_list("sha256", flat=True))
    limit = timezone.now() - older_than
    removed = []
    for name in sorted(candidates - referenced):
        path = path_of(name)
        if default_storage.get_modified_time(path) > limit:
            continue
        # Checked again just before: a document may have taken this content since the first read.
        if not Document.objects.filter(sha256=name).exists():
            default_storage.delete(path)
            removed.append(path)
    return removed
