"""Open, comment, close and reopen discussions. Permissions are checked by the callers (pages, API)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from jalon.web.collectivites.models import Collectivite
from jalon.web.discussions.models import Commentaire, Discussion, Etat
from jalon.web.errors import InputError
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.services import check_text


def _check_action(action_id: str) -> None:
    check_text("action_id", action_id)
    _, loaded = current_loaded()
    if loaded.referentiel_of(action_id) is None:
        raise InputError("action_id", f"action inconnue : {action_id!r}")


def _check_texte(texte: str) -> str:
    texte = texte.strip()
    if not texte:
        raise InputError("texte", "le commentaire est vide")
    check_text("texte", texte)
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
    """A discussion of this collectivité (None for another collectivité's, as if it did not exist, and
    for an id no database row can have)."""
    if not 0 < discussion_id < 2**63:
        return None
    return Discussion.objects.filter(collectivite=collectivite, pk=discussion_id).first()


def comment(discussion: Discussion, user: User, texte: str) -> Commentaire:
    texte = _check_texte(texte)
    if discussion.etat == Etat.FERMEE:
        raise InputError("discussion", "la discussion est fermée : rouvrez-la pour commenter")
    return Commentaire.objects.create(discussion=discussion, author=user, texte=texte)


def set_etat(discussion: Discussion, etat: str, user: User | None = None, texte: str = "") -> None:
    """Close or reopen a thread, with an optional comment by ``user``: the last word before closing,
    the first after reopening. A comment sent to close a thread already closed is refused, never
    dropped: a closed thread takes no comment."""
    if etat not in Etat.values:
        raise InputError("etat", f"état inconnu {etat!r} ; valeurs possibles : {', '.join(Etat.values)}")
    if texte.strip():
        texte = _check_texte(texte)
        if user is None:
            raise InputError("texte", "un commentaire a besoin d'un auteur")
        if etat == Etat.FERMEE and discussion.etat == Etat.FERMEE:
            raise InputError(
                "texte",
                "la discussion est déjà fermée : rouvrez-la pour commenter (commentaire non enregistré)",
            )
    else:
        texte = ""
    with transaction.atomic():
        if texte and discussion.etat == Etat.OUVERTE:
            Commentaire.objects.create(discussion=discussion, author=user, texte=texte)
            texte = ""
        discussion.etat = etat
        discussion.save(update_fields=["etat"])
        if texte:  # reopened: the comment follows
            Commentaire.objects.create(discussion=discussion, author=user, texte=texte)


def discussions_of(
    collectivite: Collectivite, action_ids: set[str] | None = None, etat: str | None = None
) -> list[Discussion]:
    """Threads with their comments and authors, newest first."""
    found = Discussion.objects.filter(collectivite=collectivite).select_related("created_by")
    if action_ids is not None:
        found = found.filter(action_id__in=action_ids)
    if etat:
        if etat not in Etat.values:
            raise InputError("etat", f"état inconnu {etat!r} ; valeurs possibles : {', '.join(Etat.values)}")
        found = found.filter(etat=etat)
    return list(found.prefetch_related("commentaires__author"))
