"""The JSON API (django-ninja) at /api/, OpenAPI at /api/openapi.json.

Authentication by session (with CSRF) or by a personal token (``Authorization: Bearer jalon_…``).
A collectivité the caller is not a member of answers 404, as if it did not exist; a member whose role
cannot write gets 403. Every error, whatever its status (401, 403, 404, 405, 413, 422, 500), is JSON
``{"detail": [{"field": …, "reason": …}]}`` with a reason in French: bad input is a 422 naming the
field; a body over ``jalon.web.limits.API_MAX_BODY`` bytes (1 Mio) is a 413 and is not read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, StrictStr

from jalon.scores.engine import ScoreValue
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.collectivites.services import can_write, collectivites_of, member_of, user_of_token
from jalon.web.errors import InputError
from jalon.web.limits import API_MAX_BODY, error_body, french_reason, logged_server_error
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts import services
from jalon.web.statuts.history import check_kind, scores_at, subject_matches
from jalon.web.statuts.models import Avancement, HistoryEntry, Reponse, StatutRecord
from jalon.web.statuts.services import KEEP


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


class ApiError(HttpError):
    """An error of the API with the field it is about (a path parameter, ``authorization``…)."""

    def __init__(self, status_code: int, field: str, reason: str) -> None:
        super().__init__(status_code, reason)
        self.field = field
        self.reason = reason


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_of_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """A logged-in session, whose writes need the CSRF token. A request without a session is not
    authenticated (401): ninja's own session auth checked CSRF first and answered such a write 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise ApiError(403, "csrf", "jeton CSRF absent ou invalide : en-tête X-CSRFToken attendu")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        return user if isinstance(user, User) and user.is_authenticated else None


def _validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """pydantic's errors as French reasons, one per field. A field is the first name of the location
    after where the value came from ("body", "query"…), with the list indexes that follow it; the
    alternatives of a union (``valeur``: text or number) give one reason."""
    reasons: dict[str, list[str]] = {}
    for e in errors:
        parts: list[str] = []
        for p in e.get("loc", ()):
            if not parts:
                if p in ("body", "query", "path") or not isinstance(p, str):
                    continue
                parts.append(p)
            elif isinstance(p, int):
                parts.append(str(p))
            else:
                break
        field = ".".join(parts) or "body"
        reason = french_reason(e)
        if reason not in reasons.setdefault(field, []):
            reasons[field].append(reason)
    return [{"field": f, "reason": " ou ".join(r)} for f, r in reasons.items()]


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="Jalon",
        version="1",
        description=(
            "Statuts, réponses, scores et historique d'une collectivité. Toute erreur est un JSON "
            '`{"detail": [{"field": …, "reason": …}]}` ; une entrée invalide est un 422 qui nomme le '
            f"champ ; un corps de plus de {API_MAX_BODY} octets est un 413."
        ),
        auth=[TokenAuth(), SessionAuth()],
        urls_namespace="api",
        renderer=JSONRenderer(),
    )

    def error(request: HttpRequest, status: int, field: str, reason: str) -> HttpResponse:
        return api.create_response(request, error_body(field, reason), status=status)

    @api.exception_handler(InputError)
    def input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
        return error(request, 422, exc.field, exc.reason)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": _validation_detail(exc.errors)}, status=422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, ApiError):
            return error(request, exc.status_code, exc.field, exc.reason)
        if isinstance(exc, AuthenticationError):
            return error(
                request,
                401,
                "authorization",
                "authentification requise : un jeton (Authorization: Bearer …) valide ou une session",
            )
        if exc.status_code == 400 and isinstance(exc.__cause__, RequestDataTooBig):
            return error(request, 413, "body", f"corps de requête trop gros : {API_MAX_BODY} octets au plus")
        if exc.status_code == 400:  # ninja's "Cannot parse request body"
            return error(request, 422, "body", "corps illisible : un objet JSON est attendu")
        return error(request, exc.status_code, "body", str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(request, 404, "url", "introuvable")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error(request, 413, "body", f"corps de requête trop gros : {API_MAX_BODY} octets au plus")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        return logged_server_error(request, exc)

    _routes(api)
    from jalon.web.discussions.api import add_routes as discussion_routes

    discussion_routes(api)
    return api


# -- schemas ------------------------------------------------------------------------------------


class Out(BaseModel):
    """An answer's schema: a plain pydantic model, which ninja validates ten times faster than its own
    Schema (no Django-object lookups; measured on a 1,471-node tree: 8 ms against 80 ms)."""


class ErrorItem(Out):
    field: str
    reason: str


class ErrorOut(Out):
    detail: list[ErrorItem]


def errors(*codes: int) -> dict[int, type[Out]]:
    """The error answers an endpoint declares, beside its 200."""
    return dict.fromkeys(codes, ErrorOut)


READ_ERRORS = errors(401, 404, 422)
WRITE_ERRORS = errors(401, 403, 404, 413, 422)

Scores = dict[str, ScoreValue]


class Strict(Schema):
    """An input object: an unknown key is refused, never ignored (a misspelled field would otherwise
    pass for a field left out)."""

    model_config = ConfigDict(extra="forbid")


class CollectiviteOut(Out):
    id: int
    nom: str
    type: str
    population: int
    localisation: str
    role: str


class CollectiviteDetailOut(CollectiviteOut):
    identite: dict[str, list[str]]
    referentiels: dict[str, Scores]


class NodeOut(Out):
    action_id: str
    identifiant: str
    nom: str
    parent: str | None
    depth: int
    categorie: str | None
    statut: dict[str, Any] | None
    scores: Scores


# Every avancement a statut write takes; "non_renseigne" removes the statut.
AvancementIn = Literal["fait", "programme", "pas_fait", "detaille", "non_concerne", "non_renseigne"]
assert set(AvancementIn.__args__) == {*Avancement.values, "non_renseigne"}  # type: ignore[attr-defined]


class StatutIn(Strict):
    avancement: AvancementIn = Field(
        description="fait, programme, pas_fait, detaille, non_concerne ; non_renseigne retire le statut"
    )
    detaille: (
        Annotated[list[Annotated[StrictInt, Field(ge=0, le=100)]], Field(min_length=3, max_length=3)] | None
    ) = Field(
        default=None, description="avec detaille seulement : [fait, programmé, pas fait] en %, total 100"
    )


class StatutChangeOut(Out):
    action_id: str
    statut: dict[str, Any] | None
    reset: list[str]
    scores: dict[str, Scores]


class ExplicationIn(Strict):
    texte: StrictStr


class ExplicationOut(Out):
    action_id: str
    texte: str


class ReponseIn(Strict):
    valeur: StrictStr | StrictFloat | StrictInt | None = Field(
        default=None,
        description="OUI / NON, l'identifiant d'un choix ou une proportion ; null retire la réponse",
    )
    justification: StrictStr | None = Field(default=None, description="absente ou null : inchangée")


class ReponseValueOut(Out):
    valeur: str | float | None
    justification: str


class ReponseOut(ReponseValueOut):
    question_id: str


class HistoryOut(Out):
    kind: str
    subject: str
    user: str | None
    at: str
    previous: Any
    new: Any


class PastScoresOut(Out):
    date: str
    version: int
    referentiels: dict[str, dict[str, Scores]]


def _member(request: HttpRequest, collectivite_id: int, write: bool = False) -> tuple[Collectivite, str]:
    found = member_of(request.user, collectivite_id) if _is_row_id(collectivite_id) else None
    if found is None:
        raise ApiError(404, "collectivite_id", "collectivité introuvable")
    collectivite, role = found
    if write and not can_write(role):
        raise ApiError(403, "role", f"le rôle {role} ne permet pas de modifier")
    return collectivite, role


def _is_row_id(value: int) -> bool:
    """An id a database row can have (a bigint above 0): any other is a 404, not a database error."""
    return 0 < value < 2**63


# Dates outside these years overflow once converted to UTC (or by a day): past them, a bound leaves
# out or takes every change as it would at these.
_EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
_LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def _moment(value: datetime) -> datetime:
    """An ISO 8601 input as an aware datetime in Europe/Paris time (without an offset, it is Paris
    time), brought within the years the database and the time zones handle."""
    if value.year < 3:
        return _EARLIEST
    if value.year > 9997:
        return _LATEST
    # In Paris time: PostgreSQL refuses offsets past ±15:59, which ISO 8601 lets through (+23:00).
    return timezone.localtime(timezone.make_aware(value) if timezone.is_naive(value) else value)


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
    @api.get("/collectivites", response={200: list[CollectiviteOut], **errors(401)})
    def list_collectivites(request: HttpRequest) -> list[dict[str, Any]]:
        """The collectivités the caller is a member of, with the caller's role."""
        return [_collectivite_out(c, role) for c, role in collectivites_of(request.user)]

    @api.get("/collectivites/{collectivite_id}", response={200: CollectiviteDetailOut, **READ_ERRORS})
    def get_collectivite(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        """A collectivité, its identity tags and the root score of each référentiel."""
        found = services.overview(_user(request), collectivite_id) if _is_row_id(collectivite_id) else None
        if found is None:
            raise ApiError(404, "collectivite_id", "collectivité introuvable")
        c = found.collectivite
        return {
            **_collectivite_out(c, found.role),
            "identite": {k: sorted(v) for k, v in identite(c).items()},
            "referentiels": found.roots,
        }

    @api.get(
        "/collectivites/{collectivite_id}/referentiels/{referentiel_id}",
        response={200: list[NodeOut], **READ_ERRORS},
    )
    def scored_tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> list[dict[str, Any]]:
        """Every node of a référentiel in order (parents first), with its statut and its scores."""
        c, _ = _member(request, collectivite_id)
        referentiel = current_loaded()[1].referentiels.get(referentiel_id)
        if referentiel is None:
            raise ApiError(404, "referentiel_id", f"référentiel inconnu : {referentiel_id!r}")
        scores = services.scores(c, referentiel_id)
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

    @api.get(
        "/collectivites/{collectivite_id}/statuts", response={200: dict[str, dict[str, Any]], **READ_ERRORS}
    )
    def list_statuts(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        c, _ = _member(request, collectivite_id)
        return {r.action_id: services.statut_value(r) for r in StatutRecord.objects.filter(collectivite=c)}

    @api.put(
        "/collectivites/{collectivite_id}/statuts/{action_id}",
        response={200: StatutChangeOut, **WRITE_ERRORS},
    )
    def put_statut(
        request: HttpRequest, collectivite_id: int, action_id: str, body: StatutIn
    ) -> dict[str, Any]:
        """Set the statut of a sous-mesure or a tâche: ``{"avancement": "fait"}`` (fait, programme,
        pas_fait, non_concerne), ``{"avancement": "detaille", "detaille": [fait, programmé, pas fait]}``
        (percentages, multiples of 5 adding up to 100). Only ``{"avancement": "non_renseigne"}`` removes
        the statut: any other body that is not one of these (a missing or misspelled key, null, a list…)
        is a 422 and changes nothing."""
        c, _ = _member(request, collectivite_id, write=True)
        change = services.set_statut(c, _user(request), action_id, body.avancement, body.detaille)
        return {
            "action_id": change.action_id,
            "statut": change.statut,
            "reset": list(change.reset),
            "scores": change.scores,
        }

    @api.put(
        "/collectivites/{collectivite_id}/explications/{action_id}",
        response={200: ExplicationOut, **WRITE_ERRORS},
    )
    def put_explication(
        request: HttpRequest, collectivite_id: int, action_id: str, body: ExplicationIn
    ) -> dict[str, Any]:
        """Set the explication of an action (an empty text removes it)."""
        c, _ = _member(request, collectivite_id, write=True)
        services.set_explication(c, _user(request), action_id, body.texte)
        return {"action_id": action_id, "texte": body.texte}

    @api.get(
        "/collectivites/{collectivite_id}/reponses", response={200: dict[str, ReponseValueOut], **READ_ERRORS}
    )
    def list_reponses(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
        c, _ = _member(request, collectivite_id)
        return {
            r.question_id: {"valeur": r.valeur, "justification": r.justification}
            for r in Reponse.objects.filter(collectivite=c)
        }

    @api.put(
        "/collectivites/{collectivite_id}/reponses/{question_id}",
        response={200: ReponseOut, **WRITE_ERRORS},
    )
    def put_reponse(
        request: HttpRequest, collectivite_id: int, question_id: str, body: ReponseIn
    ) -> dict[str, Any]:
        """Answer a question and/or set its justification. A field left out is left unchanged; an
        explicit ``"valeur": null`` removes the answer. A body with neither field is a 422."""
        c, _ = _member(request, collectivite_id, write=True)
        given = body.model_fields_set
        if not given:
            raise InputError("valeur", "valeur ou justification attendue")
        valeur = body.valeur if "valeur" in given else KEEP
        services.set_reponse(c, _user(request), question_id, valeur, body.justification)
        r = Reponse.objects.get(collectivite=c, question_id=question_id)
        return {"question_id": question_id, "valeur": r.valeur, "justification": r.justification}

    @api.get("/collectivites/{collectivite_id}/historique", response={200: list[HistoryOut], **READ_ERRORS})
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
        member); another value is a 422. ``user``: a username. ``depuis`` / ``jusqua``: ISO 8601 bounds,
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
            entries = entries.filter(at__gte=_moment(depuis))
        if jusqua:
            entries = entries.filter(at__lte=_moment(jusqua))
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

    @api.get("/collectivites/{collectivite_id}/scores", response={200: PastScoresOut, **READ_ERRORS})
    def past_scores(
        request: HttpRequest, collectivite_id: int, date: datetime, referentiel: str | None = None
    ) -> dict[str, Any]:
        """The scores as they were at ``date`` (ISO 8601; without an offset, Europe/Paris time),
        recomputed from the history: statuts, answers and identity of that date, with the référentiel
        version then current. ``referentiel`` keeps one référentiel only."""
        c, _ = _member(request, collectivite_id)
        at = _moment(date)
        state, scores = scores_at(c, at)
        if referentiel is not None:
            if referentiel not in scores:
                raise InputError("referentiel", f"référentiel inconnu : {referentiel!r}")
            scores = {referentiel: scores[referentiel]}
        return {"date": at.isoformat(), "version": state.version.pk, "referentiels": scores}
