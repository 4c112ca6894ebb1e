"""Request ids, security headers, server errors and the log they go to.

Every request gets an id: the client's ``X-Request-ID`` when it is a sane token (a front proxy's), else a
random one. It is in the response's ``X-Request-ID`` header, in every log line written while the request
runs, and on the page of a server error, so that a person reporting « erreur 500, référence 3f2a… » points
at the traceback in the server's log.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.html import escape

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators, as proxies and uuid4 write them; anything else (a log line
# forged with a newline, a 10 kB header) is replaced by our own id.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_NO_REQUEST = "-"
_current_id: ContextVar[str] = ContextVar("jalon_request_id", default=_NO_REQUEST)

# No inline script anywhere (scripts are static files); inline styles are tolerated (style= attributes,
# htmx's indicator style); images may be data: URLs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def request_id(request: HttpRequest) -> str:
    """The id of this request (the one in its ``X-Request-ID`` response header and its log lines)."""
    found = getattr(request, "request_id", None)
    return found if isinstance(found, str) else _current_id.get()


def _incoming_id(request: HttpRequest) -> str:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if _SANE_ID.fullmatch(sent) else secrets.token_hex(16)


class RequestIdMiddleware:
    """First of the middlewares: the id is known to everything after it, errors included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = _incoming_id(request)
        request.request_id = rid  # type: ignore[attr-defined]
        token = _current_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _current_id.reset(token)
        response[REQUEST_ID_HEADER] = rid
        return response


class SecurityHeadersMiddleware:
    """The Content-Security-Policy of every response that does not set its own (Django 5.2 has none;
    nosniff and Referrer-Policy come from Django's SecurityMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


SERVER_ERROR_MESSAGE = "Erreur interne du serveur : l'incident est enregistré dans le journal du serveur."


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django has logged the traceback (``django.request``, with the request id); the
    person gets the id to quote: in the API's JSON error, or on the French 500 page. That page is
    rendered without the database or the session (the error may be theirs); if even it fails, a
    self-contained page says the same."""
    rid = request_id(request)
    if request.path.startswith("/api/"):
        from jalon.web.limits import server_error_response

        return server_error_response(request)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render({"request_id": rid}))
    except Exception:
        logging.getLogger(__name__).exception("the 500 page could not be rendered")
    page = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Erreur du serveur — Jalon</title>'
        "</head><body><h1>Erreur du serveur</h1>"
        f"<p>{escape(SERVER_ERROR_MESSAGE)}</p>"
        f"<p>Référence à transmettre à l'administrateur : <code>{escape(rid)}</code></p>"
        '<p><a href="/">Retour à l\'accueil</a></p></body></html>'
    )
    return HttpResponseServerError(page)


# Connection strings with a password (postgresql://user:secret@host/db) in a message or a traceback.
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)


def mask_passwords(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1********@", text)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current_id.get()
        return True


class MaskingFormatter(logging.Formatter):
    """Formats as usual, traceback included, then masks connection strings' passwords."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_passwords(super().format(record))
