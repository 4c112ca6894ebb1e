"""Open, comment, close and reopen discussions. Permissions are checked by the callers (pages, API)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from jalon.web.collectivites.models import Collectivite
from jalon.web.discussions.models import Commentaire, Discussion, Etat
from jalon.web.referentiels.services import current_version, loaded_version
from jalon.web.statuts.services import MAX_TEXT, InputError


def _check_action(action_id: str) -> None:
    version = current_version()
    if version is None:
        raise InputError("referentiel", "aucun référentiel importé")
    loaded = loaded_version(version)
    if not any(action_id in r.actions for r in loaded.referentiels.values()):
        raise InputError("action_id", f"action inconnue : {action_id!r}")


def _check_texte(texte: str) -> str:
    texte = texte.strip()
    if not texte:
        raise InputError("texte", "le commentaire est vide")
    if len(texte) > MAX_TEXT:
        raise InputError("texte", f"texte trop long : {len(texte)} caractères, {MAX_TEXT} au plus")
    return texte


def open_discussion(collectivite: Collectivite, user: User, action_id: str, texte: str) -> Discussion:
    """A new open thread on an action, with its first comment."""
    _check_action(action_id)
    texte = _check_texte(texte)
    with transaction.atomic():
        discussion = Discussion.objects.create(
            collectivite=collectivite, action_id=action_id, created_by=user
        )
        Commentaire.objects.create(discussion=discussion, author=user, texte=texte)
    return discussion


def find(collectivite: Collectivite, discussion_id: int) -> Discussion | None:
    """A discussion of this collectivité (None for another collectivité's, as if it did not exist)."""
    return Discussion.objects.filter(collectivite=collectivite, pk=discussion_id).first()


def comment(discussion: Discussion, user: User, texte: str) -> Commentaire:
    texte = _check_texte(texte)
    if discussion.etat == Etat.FERMEE:
        raise InputError("discussion", "la discussion est fermée : rouvrez-la pour commenter")
    return Commentaire.objects.create(discussion=discussion, author=user, texte=texte)


def set_etat(discussion: Discussion, etat: str) -> None:
    if etat not in Etat.values:
        raise InputError("etat", f"état inconnu {etat!r} ; valeurs possibles : {', '.join(Etat.values)}")
    discussion.etat = etat
    discussion.save(update_fields=["etat"])


def discussions_of(
    collectivite: Collectivite, action_ids: set[str] | None = None, etat: str | None = None
) -> list[Discussion]:
    """Threads with their comments and authors, newest first."""
    found = Discussion.objects.filter(collectivite=collectivite).select_related("created_by")
    if action_ids is not None:
        found = found.filter(action_id__in=action_ids)
    if etat:
        found = found.filter(etat=etat)
    return list(found.prefetch_related("commentaires__author"))
