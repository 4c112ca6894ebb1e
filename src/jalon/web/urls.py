"""URLs: the pages, the JSON API at /api/, Django's admin at /admin/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from jalon.web.api import build_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", build_api().urls),
    path("", include("jalon.web.pages.urls")),
]
