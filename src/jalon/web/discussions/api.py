"""JSON API of the discussions, mounted by ``jalon.web.api`` with the same permission rules as the
statuts: every member reads and lecture never writes. Operation ids are those the API was published with."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router
from pydantic import StrictStr

from jalon.web.api_common import READ_ERRORS, WRITE_ERRORS, ApiError, Out, Strict, caller, member
from jalon.web.discussions import services
from jalon.web.discussions.models import Discussion, Etat

router = Router(tags=["discussions"])

ONE = "/collectivites/{collectivite_id}/discussions/{discussion_id}"

EtatValue = Literal["ouverte", "fermee"]
assert set(EtatValue.__args__) == set(Etat.values)  # type: ignore[attr-defined]


class DiscussionIn(Strict):
    action_id: StrictStr
    texte: StrictStr


class CommentaireIn(Strict):
    texte: StrictStr


class EtatIn(Strict):
    etat: EtatValue
    texte: StrictStr = Field(
        default="",
        description="un commentaire : le dernier mot avant de fermer, le premier après avoir rouvert ; "
        "refusé (422) sur une discussion déjà fermée",
    )


class CommentaireOut(Out):
    id: int
    author: str | None
    texte: str
    created_at: str


class DiscussionOut(Out):
    id: int
    action_id: str
    etat: str
    created_by: str | None
    created_at: str
    commentaires: list[CommentaireOut]


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


def _discussion(request: HttpRequest, collectivite_id: int, discussion_id: int) -> Discussion:
    c, _ = member(request, collectivite_id, write=True)
    found = services.find(c, discussion_id)
    if found is None:
        raise ApiError(404, "discussion_id", "discussion introuvable")
    return found


@router.get(
    "/collectivites/{collectivite_id}/discussions",
    response={200: list[DiscussionOut], **READ_ERRORS},
    operation_id="jalon_web_discussions_api_list_discussions",
)
def list_discussions(
    request: HttpRequest,
    collectivite_id: int,
    action_id: str | None = None,
    etat: EtatValue | None = None,
) -> list[dict[str, Any]]:
    """Threads, newest first, filterable by action id and état (ouverte, fermee; another value is
    a 422)."""
    c, _ = member(request, collectivite_id)
    return [discussion_out(d) for d in services.discussions_of(c, {action_id} if action_id else None, etat)]


@router.post(
    "/collectivites/{collectivite_id}/discussions",
    response={200: DiscussionOut, **WRITE_ERRORS},
    operation_id="jalon_web_discussions_api_open_discussion",
)
def open_discussion(request: HttpRequest, collectivite_id: int, body: DiscussionIn) -> dict[str, Any]:
    """Open a thread on an action with its first comment."""
    c, _ = member(request, collectivite_id, write=True)
    d = services.open_discussion(c, caller(request), body.action_id, body.texte)
    return discussion_out(_reload(d))


@router.post(
    ONE + "/commentaires",
    response={200: DiscussionOut, **WRITE_ERRORS},
    operation_id="jalon_web_discussions_api_add_commentaire",
)
def add_commentaire(
    request: HttpRequest,
    collectivite_id: int,
    discussion_id: int,
    body: CommentaireIn,
) -> dict[str, Any]:
    """Comment an open thread (a closed one is a 422: reopen it first)."""
    d = _discussion(request, collectivite_id, discussion_id)
    services.comment(d, caller(request), body.texte)
    return discussion_out(_reload(d))


@router.put(
    ONE + "/etat",
    response={200: DiscussionOut, **WRITE_ERRORS},
    operation_id="jalon_web_discussions_api_set_etat",
)
def set_etat(
    request: HttpRequest,
    collectivite_id: int,
    discussion_id: int,
    body: EtatIn,
) -> dict[str, Any]:
    """Close (``fermee``) or reopen (``ouverte``) a thread, with an optional comment."""
    d = _discussion(request, collectivite_id, discussion_id)
    services.set_etat(d, body.etat, caller(request), body.texte)
    return discussion_out(_reload(d))
