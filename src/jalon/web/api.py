"""The JSON API (django-ninja) at /api/, OpenAPI at /api/openapi.json.

Authentication by session (with CSRF) or by a personal token (``Authorization: Bearer jalon_…``).
A collectivité the caller is not a member of answers 404, as if it did not exist; a member whose role
cannot write gets 403. Bad input gets 400 with ``{"detail": [{"field": …, "reason": …}]}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, django_auth

from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write, collectivites_of, identite, member_of, user_of_token
from jalon.web.referentiels.services import current_version, loaded_version
from jalon.web.statuts import services
from jalon.web.statuts.history import check_kind, scores_at, subject_matches
from jalon.web.statuts.models import HistoryEntry, Reponse, StatutRecord
from jalon.web.statuts.services import InputError


class JSONRenderer(BaseRenderer):
    """Responses encoded by orjson: encoding the scores was a twentieth of a request's time with the
    standard library's encoder. What orjson does not know natively, or would write otherwise
    (datetimes, dataclasses, subclasses of builtins, pydantic models…), goes through ninja's encoder
    as before."""

    media_type = "application/json"
    _options = (
        orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )

    def __init__(self) -> None:
        self._fallback = NinjaJSONEncoder().default

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._fallback, option=self._options)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_of_token(token)
        if user is not None:
            request.user = user
        return user


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Jalon",
        version="1",
        description="Statuts, réponses, scores et historique d'une collectivité.",
        auth=[TokenAuth(), django_auth],
        urls_namespace="api",
        renderer=JSONRenderer(),
    )

    @api.exception_handler(InputError)
    def input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
        return api.create_response(
            request, {"detail": [{"field": exc.field, "reason": exc.reason}]}, status=400
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # ninja's locations start with where the value came from ("body", "query"…): keep the field.
        detail = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
                or "body",
                "reason": e.get("msg", ""),
            }
            for e in exc.errors
        ]
        return api.create_response(request, {"detail": detail}, status=400)

    _routes(api)
    from jalon.web.discussions.api import add_routes as discussion_routes

    discussion_routes(api)
    return api


class CollectiviteOut(Schema):
    id: int
    nom: str
    type: str
    population: int
    localisation: str
    role: str


class StatutIn(Schema):
    avancement: str | None = None
    detaille: list[int] | None = None


class ExplicationIn(Schema):
    texte: str


class ReponseIn(Schema):
    valeur: str | float | None = None
    justification: str | None = None


def _member(request: HttpRequest, collectivite_id: int, write: bool = False) -> tuple[Collectivite, str]:
    found = member_of(request.user, collectivite_id)
    if found is None:
        raise HttpError(404, "collectivité introuvable")
    collectivite, role = found
    if write and not can_write(role):
        raise HttpError(403, f"le rôle {role} ne permet pas de modifier")
    return collectivite, role


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _collectivite_out(c: Collectivite, role: str) -> dict[str, Any]:
    return {
        "id": c.pk,
        "nom": c.nom,
        "type": c.type,
        "population": c.population,
        "localisation": c.localisation,
        "role": role,
    }


def _routes(api: NinjaAPI) -> None:
    @api.get("/collectivites", response=list[CollectiviteOut])
    def list_collectivites(request: HttpRequest) -> list[dict[str, Any]]:
        """The collectivités the caller is a member of, with the caller's role."""
        return [_collectivite_out(c, role) for c, role in collectivites_of(request.user)]

    @api.get("/collectivites/{collectivite_id}")
    def get_collectivite(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        """A collectivité, its identity tags and the root score of each référentiel."""
        found = services.overview(_user(request), collectivite_id)
        if found is None:
            raise HttpError(404, "collectivité introuvable")
        c = found.collectivite
        return {
            **_collectivite_out(c, found.role),
            "identite": {k: sorted(v) for k, v in identite(c).items()},
            "referentiels": found.roots,
        }

    @api.get("/collectivites/{collectivite_id}/referentiels/{referentiel_id}")
    def scored_tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> list[dict[str, Any]]:
        """Every node of a référentiel in order (parents first), with its statut and its scores."""
        c, _ = _member(request, collectivite_id)
        scores = services.scores(c, referentiel_id)
        version = current_version()
        assert version is not None
        referentiel = loaded_version(version).referentiels[referentiel_id]
        statuts = {
            r.action_id: services.statut_value(r)
            for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel_id)
        }
        return [
            {
                "action_id": a.id,
                "identifiant": a.identifiant,
                "nom": a.nom,
                "parent": a.parent,
                "depth": a.depth,
                "categorie": a.categorie,
                "statut": statuts.get(a.id),
                "scores": scores[a.id],
            }
            for a in referentiel.actions.values()
        ]

    @api.get("/collectivites/{collectivite_id}/statuts")
    def list_statuts(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        c, _ = _member(request, collectivite_id)
        return {r.action_id: services.statut_value(r) for r in StatutRecord.objects.filter(collectivite=c)}

    @api.put("/collectivites/{collectivite_id}/statuts/{action_id}")
    def put_statut(
        request: HttpRequest, collectivite_id: int, action_id: str, body: StatutIn
    ) -> dict[str, Any]:
        """Set a statut (``avancement``: fait, programme, pas_fait, detaille, non_concerne, or
        non_renseigne / null to remove it; ``detaille``: [fait, programmé, pas fait] percentages)."""
        c, _ = _member(request, collectivite_id, write=True)
        change = services.set_statut(c, _user(request), action_id, body.avancement, body.detaille)
        return {
            "action_id": change.action_id,
            "statut": change.statut,
            "reset": list(change.reset),
            "scores": change.scores,
        }

    @api.put("/collectivites/{collectivite_id}/explications/{action_id}")
    def put_explication(
        request: HttpRequest, collectivite_id: int, action_id: str, body: ExplicationIn
    ) -> dict[str, Any]:
        c, _ = _member(request, collectivite_id, write=True)
        services.set_explication(c, _user(request), action_id, body.texte)
        return {"action_id": action_id, "texte": body.texte}

    @api.get("/collectivites/{collectivite_id}/reponses")
    def list_reponses(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        c, _ = _member(request, collectivite_id)
        return {
            r.question_id: {"valeur": r.valeur, "justification": r.justification}
            for r in Reponse.objects.filter(collectivite=c)
        }

    @api.put("/collectivites/{collectivite_id}/reponses/{question_id}")
    def put_reponse(
        request: HttpRequest, collectivite_id: int, question_id: str, body: ReponseIn
    ) -> dict[str, Any]:
        """Answer a question (``valeur`` null removes the answer) and/or set its justification."""
        c, _ = _member(request, collectivite_id, write=True)
        services.set_reponse(c, _user(request), question_id, body.valeur, body.justification)
        r = Reponse.objects.get(collectivite=c, question_id=question_id)
        return {"question_id": question_id, "valeur": r.valeur, "justification": r.justification}

    @api.get("/collectivites/{collectivite_id}/historique")
    def history(
        request: HttpRequest,
        collectivite_id: int,
        subject: str | None = None,
        kind: str | None = None,
        user: str | None = None,
        depuis: datetime | None = None,
        jusqua: datetime | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Changes, newest first (at most ``limit``, 1 to 1000), filterable as on the history page.

        ``subject``: an action or question id, or the start of one. An id ending with a digit takes
        itself and what is below it, by whole components (``cae_1.1`` takes ``cae_1.1.3``, not
        ``cae_1.10``); any other start takes every subject beginning with it (``cae``: the whole
        référentiel). ``kind``: statut, explication, reponse, justification, identite, nom (the
        collectivité's name) or membre (subject: a username; previous / new: the role, null when not a
        member); another value is a 400. ``user``: a username. ``depuis`` / ``jusqua``: ISO 8601 bounds,
        both included."""
        c, _ = _member(request, collectivite_id)
        entries = HistoryEntry.objects.filter(collectivite=c).select_related("user")
        if subject:
            entries = entries.filter(subject_matches(subject))
        if kind:
            entries = entries.filter(kind=check_kind(kind, "kind"))
        if user:
            entries = entries.filter(user__username=user)
        if depuis:
            entries = entries.filter(at__gte=depuis)
        if jusqua:
            entries = entries.filter(at__lte=jusqua)
        return [
            {
                "kind": e.kind,
                "subject": e.subject,
                "user": e.user.get_username() if e.user else None,
                "at": e.at.isoformat(),
                "previous": e.previous,
                "new": e.new,
            }
            for e in entries[: max(1, min(limit, 1000))]
        ]

    @api.get("/collectivites/{collectivite_id}/scores")
    def past_scores(
        request: HttpRequest, collectivite_id: int, date: datetime, referentiel: str | None = None
    ) -> dict[str, Any]:
        """The scores as they were at ``date`` (ISO 8601; without an offset, Europe/Paris time),
        recomputed from the history: statuts, answers and identity of that date, with the référentiel
        version then current. ``referentiel`` keeps one référentiel only."""
        c, _ = _member(request, collectivite_id)
        at = timezone.make_aware(date) if timezone.is_naive(date) else date
        state, scores = scores_at(c, at)
        if referentiel is not None:
            if referentiel not in scores:
                raise InputError("referentiel", f"référentiel inconnu : {referentiel}")
            scores = {referentiel: scores[referentiel]}
        return {"date": at.isoformat(), "version": state.version.pk, "referentiels": scores}
