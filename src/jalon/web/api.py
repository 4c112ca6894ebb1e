"""The JSON API (django-ninja) at /api/, OpenAPI at /api/openapi.json.

Authentication by session (with CSRF) or by a personal token (``Authorization: Bearer jalon_…``).
A collectivité the caller is not a member of answers 404, as if it did not exist; a member whose role
cannot write gets 403, and so does a write the référentiel's lock refuses (an audit en cours: only its
auditors write). Every error, whatever its status (401, 403, 404, 405, 413, 422, 500), is JSON
``{"detail": [{"field": …, "reason": …}]}`` with a reason in French: bad input is a 422 naming the
field; a body over ``jalon.web.limits.API_MAX_BODY`` bytes (1 Mio; the bibliothèque's upload:
``JALON_MAX_UPLOAD_MB``) is a 413 and is not read.

This module holds the API object, its authentication and its error handlers; the endpoints are one
router per app (``collectivites/api.py``, ``statuts/api.py``, ``discussions/api.py``,
``labellisation/api.py``, ``preuves/api.py``), mounted here, and
what they share is in ``api_common.py``, which never imports this module.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jalon.web.api_common import ApiError
from jalon.web.collectivites.api import router as collectivites_router
from jalon.web.collectivites.services import user_of_token
from jalon.web.discussions.api import router as discussions_router
from jalon.web.errors import InputError, Locked
from jalon.web.labellisation.api import router as labellisation_router
from jalon.web.limits import API_MAX_BODY, error_body, french_reason, logged_server_error
from jalon.web.preuves.api import router as preuves_router
from jalon.web.statuts.api import router as statuts_router


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

    @api.exception_handler(Locked)
    def locked(request: HttpRequest, exc: Locked) -> HttpResponse:
        return error(request, 403, exc.field, exc.reason)

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

    # In this order, the OpenAPI schema lists the endpoints as it always has.
    api.add_router("", collectivites_router)
    api.add_router("", statuts_router)
    api.add_router("", discussions_router)
    api.add_router("", labellisation_router)
    api.add_router("", preuves_router)
    return api
