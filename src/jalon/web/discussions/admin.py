from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from jalon.web.discussions.models import Commentaire, Discussion

# The stubs make the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class CommentaireInline(TabularInline):
    model = Commentaire
    extra = 0


@admin.register(Discussion)
class DiscussionAdmin(ModelAdmin):
    list_display = ("id", "collectivite", "action_id", "etat", "created_by", "created_at")
    list_filter = ("etat", "collectivite")
    search_fields = ("action_id",)
    inlines = (CommentaireInline,)
