"""Import référentiel folders as versions, and load a version back into the engine."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.db import connection

from jalon.loading import load_files
from jalon.referentiel.criteres import CRITERES_FILE
from jalon.referentiel.errors import ReferentielError
from jalon.referentiel.loader import read_folder
from jalon.referentiel.markdown import read_source
from jalon.referentiel.model import Referentiels
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion


@dataclass(frozen=True)
class ImportResult:
    version: ReferentielVersion
    created: bool  # False when the folder equals the last imported version


def digest_of(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()


# The current version, kept per process: every request asks for it, and building the ORM query
# cost more than the rest of a read. Versions are immutable, so one small query of the newest
# (id, digest) tells whether the kept one is still current (another process may have imported a
# newer one; a test database may reuse an id for another folder, hence the digest).
_current: ReferentielVersion | None = None


def newest_version_sql() -> str:
    """The statement reading the newest version's (id, digest), for ``version_of_row``."""
    table = connection.ops.quote_name(ReferentielVersion._meta.db_table)
    return f"SELECT id, digest FROM {table} ORDER BY id DESC LIMIT 1"


def current_version() -> ReferentielVersion | None:
    with connection.cursor() as cursor:
        cursor.execute(newest_version_sql())
        row = cursor.fetchone()
    return version_of_row(row)


def version_of_row(row: tuple[Any, ...] | None) -> ReferentielVersion | None:
    """The version a row of ``newest_version_sql`` names: the one kept by this process when it still
    is, else read (without its files)."""
    global _current
    if row is None:
        return None
    kept = _current
    if kept is not None and kept.pk == row[0] and kept.digest == row[1]:
        return kept
    # The folder's files (megabytes of JSON) are read only when a process first loads the version
    # (``loaded_version``), not here.
    found = ReferentielVersion.objects.defer("files").filter(pk=row[0]).first()
    if found is not None:
        _current = found
    return found


def import_folder(folder: Path | None, criteres: Path | None = None) -> ImportResult:
    """Import a folder (the bundled demo when None) as a new version, unless it equals the last one.

    The folder's label criteria (`labellisation/criteres.yml`) come with it; ``criteres`` is a file
    imported in their place (for a folder without one), as part of the version.

    The folder is validated by the engine before anything is written, and a version is one row (its
    files): a broken folder raises ``ReferentielError`` and leaves the previous version.
    """
    from jalon.loading import DEMO_DIR

    source = (folder or DEMO_DIR).resolve()
    files = read_folder(source)
    if criteres is not None:
        files[CRITERES_FILE] = read_source(criteres, str(criteres))
    try:
        loaded = load_files(files, str(source))
    except ReferentielError as error:
        if criteres is None:
            raise
        # The criteria file given apart is stored as the folder's; its problems name it as it was given.
        raise ReferentielError(
            replace(problem, path=str(criteres)) if problem.path == CRITERES_FILE else problem
            for problem in error.problems
        ) from None
    # A file that could not be read and that the engine did not need is no part of the version.
    texts = {name: text for name, text in files.items() if isinstance(text, str)}
    digest = digest_of(texts)
    last = current_version()
    if last is not None and last.digest == digest:
        _cache_put(last, replace(loaded, path=last.source))  # the same files, loaded: keep them
        return ImportResult(last, created=False)
    version = ReferentielVersion.objects.create(digest=digest, source=str(source), files=texts)
    _cache_put(version, loaded)
    return ImportResult(version, created=True)


# Keyed by id and digest: a test database may reuse an id for another folder. The least recently used
# beyond this many are dropped (a version of the official CAE + ECI holds a few MB); a dropped version is
# loaded again from its stored files when asked for.
LOADED_VERSIONS_KEPT = 4
_loaded: OrderedDict[tuple[int, str], Referentiels] = OrderedDict()
_lock = threading.Lock()


def _cache_put(version: ReferentielVersion, loaded: Referentiels) -> None:
    with _lock:
        _loaded[(version.pk, version.digest)] = loaded
        _loaded.move_to_end((version.pk, version.digest))
        while len(_loaded) > LOADED_VERSIONS_KEPT:
            _loaded.popitem(last=False)


def current_loaded() -> tuple[ReferentielVersion, Referentiels]:
    """The version in service and the engine's view of it; an InputError before any import."""
    version = current_version()
    if version is None:
        raise InputError("referentiel", "aucun référentiel importé")
    return version, loaded_version(version)


def loaded_version(version: ReferentielVersion) -> Referentiels:
    """The engine's view of a version, loaded once per process while it is among the most recently used
    (versions never change)."""
    key = (version.pk, version.digest)
    with _lock:
        found = _loaded.get(key)
        if found is not None:
            _loaded.move_to_end(key)
    if found is None:
        found = load_files(version.files, version.source)  # the stored texts, no folder written
        _cache_put(version, found)
    return found
