"""What the JSON API answers whatever goes wrong, in its own shape ``{"detail": [{"field", "reason"}]}``
with a French reason: a body too big to be read (413, before reading it), a NUL character in a query
parameter (422: no database stores it), and the errors Django answers itself under /api/ (an unknown
URL, a method not allowed, a crash outside the API's handlers) turned from HTML into that JSON.

In ``MIDDLEWARE`` after ``CommonMiddleware``: ``"jalon.web.limits.ApiGuardMiddleware"``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from jalon.web.middleware import request_id

API_PREFIX = "/api/"
# The largest API body: ample for the longest texts (10,000 characters, even each escaped as \uXXXX).
API_MAX_BODY = 1024 * 1024
# The bibliothèque's upload (preuves/api.py) takes a file up to JALON_MAX_UPLOAD_MB, and the form around it.
_UPLOAD_PATH = re.compile(r"^/api/collectivites/[0-9]+/documents/fichier$")
UPLOAD_FORM_OVERHEAD = 64 * 1024


def max_body(path: str) -> int:
    """The largest body accepted at this path under /api/."""
    if _UPLOAD_PATH.match(path):
        return int(settings.JALON_MAX_UPLOAD_MB) * 1024 * 1024 + UPLOAD_FORM_OVERHEAD
    return API_MAX_BODY


logger = logging.getLogger("django.request")


def error_body(field: str, reason: str) -> dict[str, list[dict[str, str]]]:
    return {"detail": [{"field": field, "reason": reason}]}


SERVER_ERROR_REASON = "erreur interne du serveur : la demande n'a pas abouti"


def server_error_response(request: HttpRequest) -> HttpResponse:
    """A 500 of the API: the usual error shape, and the request id that its log lines carry."""
    body = {**error_body("server", SERVER_ERROR_REASON), "request_id": request_id(request)}
    return HttpResponse(orjson.dumps(body), status=500, content_type="application/json")


def logged_server_error(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A crash under /api/: logged as Django logs an unhandled exception (with its traceback, once),
    answered with the API's 500."""
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exception,
        extra={"status_code": 500, "request": request},
    )
    response = server_error_response(request)
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's log_response: once
    return response


def _json(status: int, field: str, reason: str) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(error_body(field, reason)), status=status, content_type="application/json"
    )


# French reasons of pydantic's error types; {name} takes the error's context.
_REASONS = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_parsing_size": "nombre entier trop grand",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "finite_number": "nombre fini attendu",
    "bool_type": "booléen attendu",
    "bool_parsing": "booléen attendu",
    "list_type": "liste attendue",
    "dict_type": "objet JSON attendu",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "none_required": "null attendu",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "too_long": "au plus {max_length} élément(s) attendu(s)",
    "greater_than_equal": "valeur d'au moins {ge} attendue",
    "less_than_equal": "valeur d'au plus {le} attendue",
    "greater_than": "valeur de plus de {gt} attendue",
    "less_than": "valeur de moins de {lt} attendue",
    "datetime_type": "date et heure ISO 8601 attendues (AAAA-MM-JJTHH:MM:SS)",
    "datetime_parsing": "date et heure ISO 8601 attendues (AAAA-MM-JJTHH:MM:SS)",
    "datetime_from_date_parsing": "date et heure ISO 8601 attendues (AAAA-MM-JJTHH:MM:SS)",
    "date_parsing": "date ISO 8601 attendue (AAAA-MM-JJ)",
    "json_invalid": "JSON illisible",
    "json_type": "JSON attendu",
    "string_unicode": "texte invalide",
    "string_too_long": "au plus {max_length} caractères",
    "string_too_short": "au moins {min_length} caractère(s)",
}


def french_reason(error: dict[str, Any]) -> str:
    """pydantic's error (one of ``ValidationError.errors()``) told in French."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"valeur inconnue ; valeurs possibles : {expected}"
    template = _REASONS.get(kind)
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].strip() or "valeur invalide"


_STATUS_REASONS = {
    400: ("body", "requête invalide"),
    401: ("authorization", "authentification requise"),
    403: ("authorization", "accès refusé"),
    404: ("url", "introuvable : aucune adresse de l'API ne correspond"),
    405: ("method", "méthode non permise sur cette adresse"),
    413: ("body", f"corps de requête trop gros : {API_MAX_BODY} octets au plus"),
    500: ("server", SERVER_ERROR_REASON),
}


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_body(request.path)
        if length > limit:
            return _json(413, "body", f"corps de requête trop gros : {length} octets, {limit} au plus")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return _json(422, name.replace("\x00", ""), "le caractère nul (U+0000) n'est pas accepté")
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            field, reason = _STATUS_REASONS.get(response.status_code, ("body", "requête refusée"))
            replaced = _json(response.status_code, field, reason)
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A crash outside the API's own handlers: JSON, logged as Django logs it."""
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _json(413, "body", f"corps de requête trop gros : {API_MAX_BODY} octets au plus")
        return logged_server_error(request, exception)
