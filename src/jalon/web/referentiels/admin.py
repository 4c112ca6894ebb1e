from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from jalon.web.referentiels.models import ReferentielVersion

# The stubs make the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class ReadOnly(ModelAdmin):
    """Versions are immutable: they are imported by `jalon serve`, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferentielVersion)
class ReferentielVersionAdmin(ReadOnly):
    list_display = ("id", "digest", "source", "created_at")
    exclude = ("files",)
