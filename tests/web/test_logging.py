"""Server errors: each goes to the server's standard error with its traceback and its request id, and the
person gets that id (the error page, the API's JSON, the X-Request-ID header); passwords of connection
strings are masked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from jalon.web.collectivites import api
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.middleware import mask_passwords
from jalon.web.pages import views
from tests.web.conftest import logged_in, make_member

pytestmark = pytest.mark.django_db

SECRET_URL = "postgresql://jalon:s3cret-pw@db.example/jalon"


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"could not reach {SECRET_URL}")


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """What the configured stderr handler (settings.LOGGING) writes during the test."""
    handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert len(handlers) == 1, logging.getLogger().handlers
    out = io.StringIO()
    previous = handlers[0].setStream(out)
    yield out
    handlers[0].setStream(previous)


def test_a_page_error_is_logged_with_its_traceback_and_the_page_names_its_id(
    collectivite: Collectivite, monkeypatch: pytest.MonkeyPatch, server_log: io.StringIO
) -> None:
    client = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    client.raise_request_exception = False
    monkeypatch.setattr(views, "collectivites_of", boom)
    response = client.get("/")
    assert response.status_code == 500
    rid = response["X-Request-ID"]
    page = response.content.decode()
    assert f"<code>{rid}</code>" in page and "Erreur du serveur" in page
    assert "rechargez la page" in page  # the French 500 page of the site, not the bare fallback
    log = server_log.getvalue()
    assert f"ERROR [{rid}] django.request: Internal Server Error: /" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: could not reach" in log
    assert "s3cret-pw" not in log and "postgresql://jalon:********@db.example/jalon" in log
    assert "s3cret-pw" not in page


def test_an_api_error_answers_json_with_the_request_id(
    collectivite: Collectivite, monkeypatch: pytest.MonkeyPatch, server_log: io.StringIO
) -> None:
    member = make_member(collectivite, Role.LECTURE, "lea")
    client = member.client()
    client.raise_request_exception = False
    monkeypatch.setattr(api, "collectivites_of", boom)
    response = client.get("/api/collectivites", HTTP_X_REQUEST_ID="proxy-1234abcd")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "proxy-1234abcd"  # a front proxy's id is kept
    body = response.json()
    assert body["request_id"] == "proxy-1234abcd" and "s3cret" not in str(body)
    assert "[proxy-1234abcd] django.request" in server_log.getvalue()


def test_every_response_has_a_request_id_and_an_odd_one_is_replaced() -> None:
    client = Client()
    first, second = client.get("/connexion/")["X-Request-ID"], client.get("/connexion/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    for odd in ("x", "a\nforged log line", "é" * 20, "a" * 65):
        assert client.get("/connexion/", HTTP_X_REQUEST_ID=odd)["X-Request-ID"] not in (odd, "")


def test_client_errors_are_not_logged(server_log: io.StringIO) -> None:
    assert Client().get("/nulle-part/").status_code == 404
    assert server_log.getvalue() == ""


def test_connection_string_passwords_are_masked() -> None:
    assert mask_passwords(f"dsn={SECRET_URL} ok") == "dsn=postgresql://jalon:********@db.example/jalon ok"
    assert mask_passwords("postgresql://jalon@db/jalon") == "postgresql://jalon@db/jalon"
