"""JSON API of the discussions, mounted by ``jalon.web.api.build_api`` with the same permission rules as
the statuts: every member reads and lecture never writes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from jalon.web.discussions import services
from jalon.web.discussions.models import Discussion

ONE = "/collectivites/{collectivite_id}/discussions/{discussion_id}"


class DiscussionIn(Schema):
    action_id: str
    texte: str


class CommentaireIn(Schema):
    texte: str


class EtatIn(Schema):
    etat: str


def discussion_out(d: Discussion) -> dict[str, Any]:
    return {
        "id": d.pk,
        "action_id": d.action_id,
        "etat": d.etat,
        "created_by": d.created_by.get_username() if d.created_by else None,
        "created_at": d.created_at.isoformat(),
        "commentaires": [
            {
                "id": c.pk,
                "author": c.author.get_username() if c.author else None,
                "texte": c.texte,
                "created_at": c.created_at.isoformat(),
            }
            for c in d.commentaires.all()
        ],
    }


def _reload(d: Discussion) -> Discussion:
    return (
        Discussion.objects.select_related("created_by").prefetch_related("commentaires__author").get(pk=d.pk)
    )


def add_routes(api: NinjaAPI) -> None:
    # Imported here: jalon.web.api imports this module while it builds the API.
    from jalon.web.api import _member, _user

    def _discussion(request: HttpRequest, collectivite_id: int, discussion_id: int) -> Discussion:
        c, _ = _member(request, collectivite_id, write=True)
        found = services.find(c, discussion_id)
        if found is None:
            raise HttpError(404, "discussion introuvable")
        return found

    @api.get("/collectivites/{collectivite_id}/discussions", tags=["discussions"])
    def list_discussions(
        request: HttpRequest, collectivite_id: int, action_id: str | None = None, etat: str | None = None
    ) -> list[dict[str, Any]]:
        """Threads, newest first, filterable by action id and état (ouverte, fermee)."""
        c, _ = _member(request, collectivite_id)
        return [
            discussion_out(d) for d in services.discussions_of(c, {action_id} if action_id else None, etat)
        ]

    @api.post("/collectivites/{collectivite_id}/discussions", tags=["discussions"])
    def open_discussion(request: HttpRequest, collectivite_id: int, body: DiscussionIn) -> dict[str, Any]:
        """Open a thread on an action with its first comment."""
        c, _ = _member(request, collectivite_id, write=True)
        d = services.open_discussion(c, _user(request), body.action_id, body.texte)
        return discussion_out(_reload(d))

    @api.post(ONE + "/commentaires", tags=["discussions"])
    def add_commentaire(
        request: HttpRequest, collectivite_id: int, discussion_id: int, body: CommentaireIn
    ) -> dict[str, Any]:
        d = _discussion(request, collectivite_id, discussion_id)
        services.comment(d, _user(request), body.texte)
        return discussion_out(_reload(d))

    @api.put(ONE + "/etat", tags=["discussions"])
    def set_etat(
        request: HttpRequest, collectivite_id: int, discussion_id: int, body: EtatIn
    ) -> dict[str, Any]:
        """Close (``fermee``) or reopen (``ouverte``) a thread."""
        d = _discussion(request, collectivite_id, discussion_id)
        services.set_etat(d, body.etat)
        return discussion_out(_reload(d))
