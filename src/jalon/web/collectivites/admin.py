"""Django's admin for collectivités and their members. Changes of a collectivité's identity and of its
members' roles go through the services the pages use: each is in the history, and a new identity rescores
every référentiel (a plain save would leave the stored scores stale)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from jalon.web.collectivites.models import ApiToken, Collectivite, Invitation, Membership
from jalon.web.collectivites.services import add_member, change_role, remove_member
from jalon.web.errors import InputError
from jalon.web.statuts.services import set_identite

# The stubs make the admin classes generic; at run time they are not subscriptable.
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin's views are for logged-in staff only
    return user


class RefusesInputErrors(ModelAdmin):
    """A write the services refuse (InputError) is shown as an error message, and nothing of it is kept:
    the error leaves the admin's transaction, which rolls back (its log entry with it)."""

    def _refused(self, request: HttpRequest, error: InputError, to: str) -> HttpResponse:
        self.message_user(request, f"Rien n'a été enregistré — {error.reason}.", messages.ERROR)
        return HttpResponseRedirect(to)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InputError as error:
            return self._refused(request, error, request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except InputError as error:
            change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
            return self._refused(
                request, error, reverse(change, args=[object_id], current_app=self.admin_site.name)
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            # An action (delete selected) logs before it writes: one transaction for both.
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except InputError as error:
            return self._refused(request, error, request.get_full_path())


class MembershipInline(TabularInline):
    """Who has which role, read only: roles change on the members page (or below, in the memberships'
    admin), where each change is in the history."""

    model = Membership
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Collectivite)
class CollectiviteAdmin(RefusesInputErrors):
    list_display = ("nom", "type", "population", "localisation", "created_at")
    list_filter = ("type", "localisation")
    search_fields = ("nom",)
    inlines = (MembershipInline,)

    def save_model(self, request: HttpRequest, obj: Collectivite, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The stored collectivité, not ``obj`` (the form already set the new values on it): set_identite
        # compares with what is stored, records the history and rescores.
        stored = Collectivite.objects.get(pk=obj.pk)
        set_identite(
            stored,
            _user(request),
            nom=obj.nom,
            type=obj.type,
            population=obj.population,
            localisation=obj.localisation,
        )


@admin.register(Membership)
class MembershipAdmin(RefusesInputErrors):
    """Each arrival, role change and removal is in the history, as on the members page; the last admin of
    a collectivité stays one."""

    list_display = ("user", "collectivite", "role")
    list_filter = ("role", "collectivite")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Moving a membership to another person or collectivité would be a removal and an arrival:
        # remove it and add another.
        return ("user", "collectivite") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            change_role(obj.collectivite, _user(request), obj.pk, obj.role)  # records nothing if unchanged
            return
        obj.pk = add_member(obj.collectivite, obj.user, obj.role, _user(request)).pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        remove_member(obj.collectivite, _user(request), obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        # All or nothing; the collectivités locked in one order, as two such deletions could otherwise
        # wait for each other.
        with transaction.atomic():
            for membership in queryset.select_related("collectivite").order_by("collectivite_id", "pk"):
                remove_member(membership.collectivite, _user(request), membership.pk)


@admin.register(Invitation)
class InvitationAdmin(ModelAdmin):
    """Seen and deleted (revoked) here, never added or changed: only a link's hash is stored, so an
    invitation made here would have a link nobody knows, and changing one would change what a link
    already handed out grants. Invitations are made on the members page, where the link is shown."""

    list_display = (
        "collectivite",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
    )
    list_filter = ("role",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ("user", "name", "last_characters", "created_at")
    readonly_fields = ("token_hash", "last_characters")

    def has_add_permission(self, request: object) -> bool:
        return False  # a token is created by its owner, who alone sees it once
