"""Error reports never show the database's password, though the WSGI server puts the whole process
environment (``DATABASE_URL`` included) in every request's META."""

from __future__ import annotations

import sys

from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response

SECRET = "mot-de-passe-tres-secret"


def test_the_debug_page_masks_the_database_url() -> None:
    request = RequestFactory().get(
        "/", DATABASE_URL=f"postgresql://jalon:{SECRET}@db.example/jalon", JALON_DATA_DIR="/srv/jalon"
    )
    try:
        raise RuntimeError("panne")
    except RuntimeError:
        with override_settings(DEBUG=True):
            page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "panne" in page
    assert "/srv/jalon" in page  # what is not secret is still shown
    assert "DATABASE_URL" in page
    assert SECRET not in page
