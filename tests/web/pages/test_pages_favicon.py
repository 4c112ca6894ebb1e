"""Every page links the site's icon, and ``/favicon.ico`` (asked for by browsers and tools) answers it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite
from tests.web.conftest import Member

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_served_without_login() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_pages_link_an_icon_that_is_served(collectivite: Collectivite, editor: Member) -> None:
    client = Client()
    assert client.login(username=editor.user.username, password="mot-de-passe-de-test")
    for url in ("/connexion/", f"/c/{collectivite.pk}/"):
        page = client.get(url).content.decode()
        found = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
        assert found is not None, url
        icon = client.get(found.group(1))
        assert icon.status_code == 200
        assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]
