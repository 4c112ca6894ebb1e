"""Security headers on every response, no inline script in any page (the Content-Security-Policy
forbids them), Swagger UI served from our own /static/, and the HTTPS settings of JALON_HTTPS=1."""

from __future__ import annotations

import re
import runpy
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Role
from tests.web.conftest import logged_in, make_member

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def pages(c: Collectivite) -> list[str]:
    base = f"/c/{c.pk}"
    return [
        "/",
        "/jetons/",
        f"{base}/",
        f"{base}/questionnaire/",
        f"{base}/discussions/",
        f"{base}/membres/",
        f"{base}/parametres/",
        f"{base}/historique/",
        f"{base}/cae/",
        f"{base}/action/cae_6.1.1/",
        "/admin/",
        "/admin/collectivites/collectivite/",
        f"/admin/collectivites/collectivite/{c.pk}/change/",
        "/api/docs",
    ]


def assert_secure_headers(response: Any) -> None:
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def assert_no_inline_script(html: str, page: str) -> None:
    for tag in SCRIPT_TAG.findall(html):
        # A script file, or data that is not run (Swagger UI's settings as JSON).
        assert " src=" in tag or 'type="application/json"' in tag, (page, tag)
    assert not EVENT_ATTRIBUTE.search(html), (page, EVENT_ATTRIBUTE.search(html))


def test_every_page_has_the_headers_and_no_inline_script(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    User.objects.filter(pk=admin.user.pk).update(is_staff=True, is_superuser=True)
    make_member(collectivite, Role.EDITION, "edith")  # a row with its « Retirer » button
    client = logged_in(admin)
    for page in pages(collectivite):
        response = client.get(page)
        assert response.status_code == 200, page
        assert_secure_headers(response)
        assert_no_inline_script(response.content.decode(), page)
    anonymous = Client()
    for page in ("/connexion/", "/admin/login/"):
        response = anonymous.get(page)
        assert_secure_headers(response)
        assert_no_inline_script(response.content.decode(), page)
    # Errors and API answers too.
    assert_secure_headers(anonymous.get("/nulle-part/"))
    assert_secure_headers(admin.client().get(f"/api/collectivites/{collectivite.pk}"))


def test_every_template_is_free_of_inline_script() -> None:
    from pathlib import Path

    import jalon.web

    templates = sorted(Path(jalon.web.__file__).parent.glob("*/templates/**/*.html"))
    assert templates
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for tag in SCRIPT_TAG.findall(text):
            assert " src=" in tag, (template.name, tag)
        assert not EVENT_ATTRIBUTE.search(text), template.name
        assert "hx-on" not in text, template.name


def test_the_api_docs_use_only_local_files_that_answer() -> None:
    client = Client()
    html = client.get("/api/docs").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and not [u for u in urls if re.match(r"(https?:)?//", u)], urls
    local = [u for u in urls if u.startswith("/static/")]
    assert any(u.endswith("swagger-ui-bundle.js") for u in local)
    assert any(u.endswith("swagger-ui.css") for u in local)
    for url in local:
        assert client.get(url).status_code == 200, url


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The settings module's values under these environment variables (run afresh, not imported)."""
    import jalon.web.settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(jalon.web.settings.__file__)


def test_jalon_https_turns_on_secure_cookies_and_hsts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JALON_HTTPS", raising=False)
    plain = settings_with(monkeypatch)
    assert not plain.get("SESSION_COOKIE_SECURE") and not plain.get("SECURE_HSTS_SECONDS")
    https = settings_with(monkeypatch, JALON_HTTPS="1")
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"]
    assert https["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert https["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert not https.get("SECURE_SSL_REDIRECT")  # the proxy redirects


def test_jalon_allowed_hosts_adds_the_public_names_of_a_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JALON_ALLOWED_HOSTS", raising=False)
    assert settings_with(monkeypatch)["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    hosts = settings_with(monkeypatch, JALON_ALLOWED_HOSTS=" jalon.example.fr, ,www.jalon.example.fr ")
    assert hosts["ALLOWED_HOSTS"][3:] == ["jalon.example.fr", "www.jalon.example.fr"]


def test_a_host_that_is_not_allowed_is_refused(client: Client) -> None:
    assert client.get("/connexion/", HTTP_HOST="ailleurs.example").status_code == 400
    assert client.get("/connexion/", HTTP_HOST="localhost").status_code == 200
