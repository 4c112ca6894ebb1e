from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from jalon.web.collectivites.models import ApiToken, Collectivite, Invitation, Membership

# The stubs make the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class MembershipInline(TabularInline):
    model = Membership
    extra = 0


@admin.register(Collectivite)
class CollectiviteAdmin(ModelAdmin):
    list_display = ("nom", "type", "population", "localisation", "created_at")
    list_filter = ("type", "localisation")
    search_fields = ("nom",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ("user", "collectivite", "role")
    list_filter = ("role", "collectivite")


@admin.register(Invitation)
class InvitationAdmin(ModelAdmin):
    # Only the hash is stored: the link itself cannot be shown again, so nothing here is editable.
    list_display = ("collectivite", "role", "created_by", "created_at", "accepted_by", "accepted_at")
    readonly_fields = ("token_hash", "accepted_by", "accepted_at")
    list_filter = ("role",)


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ("user", "name", "last_characters", "created_at")
    readonly_fields = ("token_hash", "last_characters")

    def has_add_permission(self, request: object) -> bool:
        return False  # a token is created by its owner, who alone sees it once
