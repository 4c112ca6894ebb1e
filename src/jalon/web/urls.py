"""URLs: the pages, the JSON API at /api/, Django's admin at /admin/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from jalon.web.api import build_api

# A server error's page (or JSON under /api/) carries the request id of its log lines.
handler500 = "jalon.web.middleware.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", build_api().urls),
    path("", include("jalon.web.pages.urls")),
]
