"""The bibliothèque's writes and reads, with their rights.

Every write (a document added or deleted, attached or detached) goes through the write primitive
(``statuts/write.py``) with its history entry, ``Kind.DOCUMENT``: subject « document <id> » (added,
deleted: previous / new the title, None when absent) or « document <id> <action or preuve id> »
(attached, detached). Bad input is refused with the field and a French reason, before anything is
written. Only members whose role writes change the bibliothèque; a confidential document is seen only
by them and by the assigned auditors of an audit en cours."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from jalon.referentiel.model import Referentiel, Referentiels
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write
from jalon.web.errors import InputError
from jalon.web.preuves import archive, files
from jalon.web.preuves.models import Attachment, Document, Target
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import Kind
from jalon.web.statuts.services import Acces, acces_of
from jalon.web.statuts.write import change

MAX_TITLE = 200
MAX_COMMENT = 5000
MAX_URL = 2000

AnyUser = User | AnonymousUser


def _acces(user: AnyUser, collectivite: Collectivite) -> Acces:
    """The person's access; a 404 for someone with none (as if the collectivité did not exist)."""
    found = acces_of(user, collectivite.pk)
    if found is None:
        raise Http404("collectivité inconnue")
    return found


def _editeur(user: AnyUser, collectivite: Collectivite, what: str) -> User:
    acces = _acces(user, collectivite)
    if not can_write(acces.role):
        raise PermissionDenied(f"{what} : le rôle {acces.role or 'auditeur'} ne permet pas de modifier")
    assert isinstance(user, User)
    return user


def sees_confidential(acces: Acces) -> bool:
    return can_write(acces.role) or bool(acces.audites)


def documents(user: AnyUser, collectivite: Collectivite) -> QuerySet[Document]:
    """The collectivité's documents this person may see (404 without access)."""
    acces = _acces(user, collectivite)
    found = Document.objects.filter(collectivite=collectivite).prefetch_related("attachments")
    return found if sees_confidential(acces) else found.filter(confidentiel=False)


def document(user: AnyUser, collectivite: Collectivite, document_id: int | str) -> Document:
    """One document this person may see; a 404 otherwise (a confidential one is not said to exist)."""
    pk = _id(document_id)
    found = documents(user, collectivite).filter(pk=pk).first()
    if found is None:
        raise Http404("document inconnu")
    return found


def _id(raw: int | str) -> int:
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 18:
        raise InputError("document", f"identifiant de document attendu, reçu {text[:30]!r}")
    return int(text)


def _text(field: str, raw: str, maximum: int, required: bool) -> str:
    text = raw.strip()
    if required and not text:
        raise InputError(field, "obligatoire")
    if len(text) > maximum:
        raise InputError(field, f"{maximum} caractères au plus, reçu {len(text)}")
    if any(c != "\n" and c != "\t" and c != "\r" and ord(c) < 32 for c in text):
        raise InputError(field, "caractères de contrôle interdits")
    return text


def check_url(raw: str) -> str:
    url = raw.strip()
    if not url:
        raise InputError("url", "obligatoire")
    if len(url) > MAX_URL:
        raise InputError("url", f"{MAX_URL} caractères au plus")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise InputError("url", "espaces et caractères de contrôle interdits")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError("url", f"lien http:// ou https:// attendu, reçu {url[:60]!r}")
    return url


def add_file(
    collectivite: Collectivite,
    user: AnyUser,
    upload: files.Upload,
    *,
    title: str = "",
    comment: str = "",
    confidentiel: bool = False,
) -> Document:
    """Add a file (an éditeur): checked and stored (``files.store``), then its document written."""
    author = _editeur(user, collectivite, "Ajouter un document")
    comment = _text("commentaire", comment, MAX_COMMENT, False)
    stored = files.store(upload)
    title = _text("titre", title or stored.name, MAX_TITLE, True)
    with change(collectivite.pk, author.pk) as w:
        found = Document.objects.create(
            collectivite=collectivite,
            title=title,
            comment=comment,
            name=stored.name,
            sha256=stored.sha256,
            size=stored.size,
            mime=stored.mime,
            confidentiel=confidentiel,
            added_by=author,
            added_at=w.now,
        )
        w.record(Kind.DOCUMENT, f"document {found.pk}", None, title)
    return found


def add_link(
    collectivite: Collectivite,
    user: AnyUser,
    url: str,
    *,
    title: str = "",
    comment: str = "",
    confidentiel: bool = False,
) -> Document:
    """Add a link (an éditeur): http or https only."""
    author = _editeur(user, collectivite, "Ajouter un lien")
    url = check_url(url)
    title = _text("titre", title or url[:MAX_TITLE], MAX_TITLE, True)
    comment = _text("commentaire", comment, MAX_COMMENT, False)
    with change(collectivite.pk, author.pk) as w:
        found = Document.objects.create(
            collectivite=collectivite,
            title=title,
            comment=comment,
            url=url,
            confidentiel=confidentiel,
            added_by=author,
            added_at=w.now,
        )
        w.record(Kind.DOCUMENT, f"document {found.pk}", None, title)
    return found


def delete(collectivite: Collectivite, user: AnyUser, document_id: int | str) -> None:
    """Delete a document and its attachments (an éditeur); its content goes once no document holds it."""
    author = _editeur(user, collectivite, "Supprimer un document")
    pk = _id(document_id)
    with change(collectivite.pk, author.pk) as w:
        found = Document.objects.filter(collectivite=collectivite, pk=pk).first()
        if found is None:
            raise InputError("document", f"document inconnu : {pk}")
        sha256 = found.sha256
        found.delete()
        w.record(Kind.DOCUMENT, f"document {pk}", found.title, None)
    if sha256:
        # After the commit: a rolled-back delete keeps its content.
        transaction.on_commit(lambda: _drop_unused(sha256))


def _drop_unused(sha256: str) -> None:
    if not Document.objects.filter(sha256=sha256).exists():
        default_storage.delete(files.path_of(sha256))


def _check_target(loaded: Referentiels, target: str, target_id: str) -> str:
    target_id = target_id.strip()
    if target == Target.ACTION:
        referentiel = loaded.referentiel_of(target_id)
        if referentiel is None or referentiel.actions[target_id].depth < referentiel.action_level:
            raise InputError("action_id", f"mesure, sous-mesure ou tâche inconnue : {target_id[:40]!r}")
    elif target == Target.PREUVE:
        if target_id not in {p.id for p in loaded.preuves}:
            raise InputError("preuve_id", f"preuve réglementaire inconnue : {target_id[:40]!r}")
    else:
        raise InputError("cible", f"attendu « action » ou « preuve », reçu {target[:20]!r}")
    return target_id


def attach(
    collectivite: Collectivite, user: AnyUser, document_id: int | str, target: str, target_id: str
) -> bool:
    """Attach a document to an action or a preuve réglementaire (an éditeur); False when it already was."""
    author = _editeur(user, collectivite, "Joindre un document")
    pk = _id(document_id)
    target_id = _check_target(current_loaded()[1], target, target_id)
    with change(collectivite.pk, author.pk) as w:
        found = Document.objects.filter(collectivite=collectivite, pk=pk).first()
        if found is None:
            raise InputError("document", f"document inconnu : {pk}")
        _, made = Attachment.objects.get_or_create(document=found, target=target, target_id=target_id)
        if made:
            w.record(Kind.DOCUMENT, f"document {pk} {target_id}", None, found.title)
    return made


def detach(
    collectivite: Collectivite, user: AnyUser, document_id: int | str, target: str, target_id: str
) -> bool:
    """Take a document off an action or a preuve réglementaire (an éditeur); False when it was not on it."""
    author = _editeur(user, collectivite, "Retirer un document")
    pk = _id(document_id)
    with change(collectivite.pk, author.pk) as w:
        found = Document.objects.filter(collectivite=collectivite, pk=pk).first()
        if found is None:
            raise InputError("document", f"document inconnu : {pk}")
        gone, _ = Attachment.objects.filter(
            document=found, target=target, target_id=target_id.strip()
        ).delete()
        if gone:
            w.record(Kind.DOCUMENT, f"document {pk} {target_id.strip()}", found.title, None)
    return bool(gone)


def attached(
    user: AnyUser, collectivite: Collectivite, target: str, target_ids: Iterable[str]
) -> dict[str, list[Document]]:
    """The documents this person sees attached to each of these actions or preuves."""
    wanted = set(target_ids)
    shown: dict[str, list[Document]] = {t: [] for t in wanted}
    for found in (
        documents(user, collectivite)
        .filter(attachments__target=target, attachments__target_id__in=wanted)
        .distinct()
    ):
        for attachment in found.attachments.all():
            if attachment.target == target and attachment.target_id in wanted:
                shown[attachment.target_id].append(found)
    return shown


def attachments_of(user: AnyUser, collectivite: Collectivite) -> dict[str, dict[str, set[int]]]:
    """Every attachment of the documents this person sees, in one query: for each target (action,
    preuve), the ids of the documents attached to each of its ids."""
    acces = _acces(user, collectivite)
    found = Attachment.objects.filter(document__collectivite=collectivite)
    if not sees_confidential(acces):
        found = found.filter(document__confidentiel=False)
    out: dict[str, dict[str, set[int]]] = {Target.ACTION: {}, Target.PREUVE: {}}
    for target, target_id, document_id in found.values_list("target", "target_id", "document_id"):
        out.setdefault(target, {}).setdefault(target_id, set()).add(document_id)
    return out


def archive_plan(
    user: AnyUser, collectivite: Collectivite, referentiel_id: str
) -> tuple[Referentiel, list[archive.Placement]]:
    """What the audit archive of a référentiel holds for this person: a member (confidential files only
    for the roles that see them) or an auditor assigned to that référentiel's audit en cours; a 404 for
    anyone else and for a référentiel unknown or not shown to them."""
    acces = _acces(user, collectivite)
    loaded = current_loaded()[1]
    referentiel = loaded.referentiels.get(referentiel_id)
    if referentiel is None or not acces.voit(referentiel_id):
        raise Http404("référentiel inconnu")
    shown = documents(user, collectivite).select_related("added_by")
    return referentiel, archive.plan(loaded, referentiel, shown)
