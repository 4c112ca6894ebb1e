"""Members and invitations by link (the admin sees the link; no mail server), personal API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from jalon.web.collectivites.models import ApiToken, Collectivite, Invitation, Membership, Role
from jalon.web.collectivites.services import (
    InvitationRefused,
    accept_invitation,
    change_role,
    create_api_token,
    create_invitation,
    invitation_of,
    remove_member,
    revoke_api_token,
    revoke_invitation,
)
from jalon.web.errors import InputError
from jalon.web.pages.common import member, user_of


@login_required
def membres(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    """Every member sees who else is a member; the admin changes roles, removes members, invites and
    revokes invitations."""
    c, role = member(request, collectivite_id)
    is_admin = role == Role.ADMIN
    link = error = None
    status = 200
    if request.method == "POST":
        if not is_admin:
            return HttpResponse(
                "Seul un admin de la collectivité gère les membres et les invitations.", status=403
            )
        if "changer" in request.POST or "retirer" in request.POST:
            try:
                return _change_member(request, c)
            except InputError as e:
                error, status = f"{e.field} : {e.reason}", 400
        elif "revoquer" in request.POST:
            try:
                found = revoke_invitation(c, int(request.POST["revoquer"]))
            except ValueError:
                found = False
            if not found:
                error, status = "invitation : introuvable ou déjà acceptée", 400
            else:
                return redirect("membres", collectivite_id=c.pk)
        else:
            invited = request.POST.get("role", "")
            if invited not in Role.values:
                error, status = f"role : rôle inconnu {invited!r}", 400
            else:
                token = create_invitation(c, invited, user_of(request))
                # Shown once: only the token's hash is stored.
                link = request.build_absolute_uri(reverse("invitation", args=(token,)))
    return render(
        request,
        "pages/membres.html",
        {
            "collectivite": c,
            "is_admin": is_admin,
            "members": Membership.objects.filter(collectivite=c)
            .select_related("user")
            .order_by("user__username"),
            "invitations": Invitation.objects.filter(collectivite=c, accepted_by__isnull=True)
            .select_related("created_by")
            .order_by("-created_at")
            if is_admin
            else [],
            "now": timezone.now(),
            "invitation_days": settings.JALON_INVITATION_DAYS,
            "roles": Role.choices,
            "me": request.user.pk,
            "link": link,
            "error": error,
        },
        status=status,
    )


def _change_member(request: HttpRequest, c: Collectivite) -> HttpResponse:
    """The admin's role change (``changer`` = membership id, ``nouveau_role``) or removal (``retirer`` =
    membership id), then back to the page with what was done. Raises InputError."""
    raw = request.POST.get("changer") or request.POST.get("retirer", "")
    try:
        membership_id = int(raw)
    except ValueError:
        raise InputError("membre", f"identifiant de membre invalide {raw!r}") from None
    if "changer" in request.POST:
        changed = change_role(c, user_of(request), membership_id, request.POST.get("nouveau_role", ""))
        messages.success(
            request, f"{changed.user.username} a désormais le rôle {changed.get_role_display()}."
        )
        return redirect("membres", collectivite_id=c.pk)
    removed = remove_member(c, user_of(request), membership_id)
    if removed.user_id == request.user.pk:  # one of several admins left: no access any more
        messages.success(request, f"Vous avez quitté {c.nom}.")
        return redirect("home")
    messages.success(request, f"{removed.user.username} ne fait plus partie de {c.nom}.")
    return redirect("membres", collectivite_id=c.pk)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join a collectivité from a link, which names the collectivité and the role offered: logged in,
    accept it; otherwise create an account (or log in). A refused link says why."""
    try:
        offered = invitation_of(token)
    except InvitationRefused as refused:
        return _refused(request, refused)
    form: UserCreationForm[User] | None = (
        UserCreationForm(request.POST or None) if not request.user.is_authenticated else None
    )
    context = {"form": form, "invitation": offered}
    if request.method == "POST":
        try:
            with transaction.atomic():  # a refused link rolls back the account just created
                if form is not None:
                    if not form.is_valid():
                        return render(request, "pages/invitation.html", context, status=400)
                    user = form.save()
                else:
                    user = user_of(request)
                membership = accept_invitation(token, user)
        except InvitationRefused as refused:
            return _refused(request, refused)
        if form is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("dashboard", collectivite_id=membership.collectivite_id)
    return render(request, "pages/invitation.html", context)


def _refused(request: HttpRequest, refused: InvitationRefused) -> HttpResponse:
    return render(request, "pages/invitation.html", {"refused": refused.reason}, status=refused.status)


@login_required
def jetons(request: HttpRequest) -> HttpResponse:
    """The caller's API tokens: create one (shown once), revoke one."""
    user = user_of(request)
    created = error = None
    status = 200
    if request.method == "POST":
        if "revoquer" in request.POST:
            try:
                found = revoke_api_token(user, int(request.POST["revoquer"]))
            except ValueError:
                found = False
            if not found:
                error, status = "jeton : introuvable", 400
            else:
                return redirect("jetons")
        else:
            name = request.POST.get("nom", "").strip()
            if not name or len(name) > 100:
                error, status = "nom : entre 1 et 100 caractères", 400
            else:
                created = create_api_token(user, name)
    return render(
        request,
        "pages/jetons.html",
        {
            "tokens": ApiToken.objects.filter(user_id=user.pk).order_by("-created_at"),
            "created": created,
            "error": error,
        },
        status=status,
    )
