"""The audit archive: every preuve of a collectivité for one référentiel, as a ZIP streamed while it is
built (``stream-zip``: no temporary file, memory bounded by a chunk).

Layout: one folder per action (``6.1.1 Nom de la mesure/``) holding the files attached to it, and
those attached to a preuve réglementaire the action expects (``6.1.1 Nom/Preuve réglementaire - Nom/``;
a preuve expected by several actions is under each of them). ``index.csv`` lists every placement, files
and links; ``liens.csv`` the links alone. Both are UTF-8 with a BOM and ``;`` separators, as French
spreadsheets open them. Who gets what is ``services.documents`` (confidential files only for those
allowed); the plan (every database read) is made before the first byte, only file contents are read
while streaming. A file whose content is missing from the storage is listed as such, not zipped."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from stat import S_IFREG

from django.core.files.storage import default_storage
from django.utils import timezone
from stream_zip import ZIP_AUTO, MemberFile, stream_zip

from jalon.referentiel.model import Action, Referentiel, Referentiels
from jalon.web.preuves import files
from jalon.web.preuves.models import Document, Target

CHUNK = 64 * 1024
MAX_FOLDER = 80  # characters of a folder name: long action names are cut
MAX_FILE = 100  # characters of a file's name in the archive
INDEX_HEADERS = (
    "Action",
    "Preuve réglementaire",
    "Titre",
    "Fichier",
    "Taille (octets)",
    "SHA-256",
    "Lien",
    "Confidentiel",
    "Ajouté par",
    "Ajouté le",
)
LIENS_HEADERS = ("Action", "Preuve réglementaire", "Titre", "Lien", "Ajouté par", "Ajouté le")
MISSING = "(fichier absent du stockage)"
_UNSAFE = re.compile(r'[/\\:*?"<>|]')


@dataclass(frozen=True)
class Placement:
    """One document in the archive: under an action, for the action itself or for a preuve réglementaire
    it expects; ``path`` is the file's path in the ZIP (``""`` for a link)."""

    action: Action
    preuve: str  # "" when attached to the action itself, else « id - nom »
    document: Document
    path: str


def safe_part(text: str, limit: int = MAX_FOLDER) -> str:
    """A path component any unzipper accepts: no separators, reserved or control characters."""
    kept = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    kept = _UNSAFE.sub("-", kept).strip().strip(".").strip()
    return kept[:limit].rstrip() or "sans nom"


def _file_part(name: str) -> str:
    """A file's name in the archive, its extension kept when a long name is cut (paths stay short enough
    for Windows' unzipper)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        return safe_part(name, MAX_FILE)
    return f"{safe_part(stem, MAX_FILE - len(ext) - 1)}.{safe_part(ext, 10)}"


def _tree_order(referentiel: Referentiel) -> list[Action]:
    """The mesures, sous-mesures and tâches in reading order (6.1.1, 6.1.1.1, 6.1.2…)."""
    ordered: list[Action] = []
    stack = [referentiel.root]
    while stack:
        action = stack.pop()
        if action.depth >= referentiel.action_level:
            ordered.append(action)
        stack.extend(referentiel.actions[c] for c in reversed(action.children))
    return ordered


def _unique(path: str, taken: set[str]) -> str:
    """The path, or « nom (2).ext » when two files of a folder have the same name."""
    candidate, n = path, 1
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        stem, dot, ext = path, "", ""
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"
    taken.add(candidate.casefold())
    return candidate


def plan(loaded: Referentiels, referentiel: Referentiel, shown: Iterable[Document]) -> list[Placement]:
    """Where each document the person sees goes, action by action in reading order."""
    on_action: dict[str, list[Document]] = {}
    on_preuve: dict[str, list[Document]] = {}
    for document in shown:
        for attachment in document.attachments.all():
            into = on_action if attachment.target == Target.ACTION else on_preuve
            into.setdefault(attachment.target_id, []).append(document)
    preuves_of: dict[str, list[tuple[str, list[Document]]]] = {}
    for preuve in loaded.preuves:
        if preuve.id in on_preuve:
            for action_id in preuve.action_ids:
                preuves_of.setdefault(action_id, []).append(
                    (f"{preuve.id} - {preuve.nom}", on_preuve[preuve.id])
                )
    placements: list[Placement] = []
    taken: set[str] = set()
    for action in _tree_order(referentiel):
        folder = safe_part(f"{action.identifiant} {action.nom}")
        groups = [("", folder, on_action.get(action.id, []))]
        groups += [
            (label, f"{folder}/{safe_part('Preuve réglementaire - ' + label)}", found)
            for label, found in preuves_of.get(action.id, [])
        ]
        for label, where, found in groups:
            for document in sorted(found, key=lambda d: (d.added_at, d.pk)):
                path = "" if document.is_link else _unique(f"{where}/{_file_part(document.name)}", taken)
                placements.append(Placement(action, label, document, path))
    return placements


def _csv(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _author(document: Document) -> str:
    return document.added_by.username if document.added_by is not None else ""


def _index(placements: list[Placement], missing: set[str]) -> bytes:
    return _csv(
        INDEX_HEADERS,
        (
            (
                p.action.identifiant,
                p.preuve,
                p.document.title,
                (MISSING if p.path in missing else p.path) if p.path else "",
                str(p.document.size) if p.path else "",
                p.document.sha256,
                p.document.url,
                "oui" if p.document.confidentiel else "non",
                _author(p.document),
                _when(p.document.added_at),
            )
            for p in placements
        ),
    )


def _liens(placements: list[Placement]) -> bytes:
    return _csv(
        LIENS_HEADERS,
        (
            (
                p.action.identifiant,
                p.preuve,
                p.document.title,
                p.document.url,
                _author(p.document),
                _when(p.document.added_at),
            )
            for p in placements
            if not p.path
        ),
    )


def _content(sha256: str) -> Iterator[bytes]:
    with default_storage.open(files.path_of(sha256), "rb") as opened:
        while chunk := opened.read(CHUNK):
            yield chunk


def _members(placements: list[Placement], now: datetime) -> Iterator[MemberFile]:
    missing: set[str] = set()
    for p in placements:
        if not p.path:
            continue
        if not default_storage.exists(files.path_of(p.document.sha256)):
            missing.add(p.path)
            continue
        yield (
            p.path,
            p.document.added_at,
            S_IFREG | 0o644,
            ZIP_AUTO(p.document.size, level=6),
            _content(p.document.sha256),
        )
    for name, data in (("index.csv", _index(placements, missing)), ("liens.csv", _liens(placements))):
        yield name, now, S_IFREG | 0o644, ZIP_AUTO(len(data), level=6), (data,)


def stream(placements: list[Placement], now: datetime) -> Iterator[bytes]:
    """The ZIP's bytes, produced as they are read: each file's content is read when its turn comes."""
    return iter(stream_zip(_members(placements, now), chunk_size=CHUNK))
