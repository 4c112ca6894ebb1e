from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from jalon.web.statuts.models import Explication, HistoryEntry, Reponse, ScoreSet, StatutRecord

# The stubs make the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class ReadOnly(ModelAdmin):
    """Shown, not edited: a write here would skip the history and leave the stored scores stale; the pages
    and the API write through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StatutRecord)
class StatutRecordAdmin(ReadOnly):
    list_display = ("collectivite", "action_id", "avancement", "modified_by", "modified_at")
    list_filter = ("avancement", "referentiel", "collectivite")
    search_fields = ("action_id",)


@admin.register(Explication)
class ExplicationAdmin(ReadOnly):
    list_display = ("collectivite", "action_id", "modified_by", "modified_at")
    search_fields = ("action_id", "texte")


@admin.register(Reponse)
class ReponseAdmin(ReadOnly):
    list_display = ("collectivite", "question_id", "valeur", "modified_by", "modified_at")
    search_fields = ("question_id",)


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnly):
    list_display = ("collectivite", "kind", "subject", "user", "at")
    list_filter = ("kind", "collectivite")
    search_fields = ("subject",)


@admin.register(ScoreSet)
class ScoreSetAdmin(ReadOnly):
    list_display = ("collectivite", "referentiel", "version")
