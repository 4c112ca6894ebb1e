"""Role changes and removals of members (the admin's part of the members page), each with its history
entry.

Kept beside the pages rather than in ``collectivites/services.py``: only the members page uses them. Each
runs under the collectivité's row lock, the one every write takes, so two admins demoting each other at
once cannot leave a collectivité without an admin.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import record_role
from jalon.web.errors import InputError

# The roles as the pages name them (the stored values are codes: « edition » is not for people).
ROLE_LABELS: dict[str, str] = {
    Role.LECTURE.value: "Lecture",
    Role.EDITION.value: "Édition",
    Role.ADMIN.value: "Administration",
    Role.CONSEILLER.value: "Conseiller",
    Role.AUDITEUR.value: "Auditeur",
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def _membership(collectivite: Collectivite, membership_id: int) -> Membership:
    # Lock the collectivité first (the same order as the statut writes), then read the membership.
    Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    found = (
        Membership.objects.select_related("user").filter(pk=membership_id, collectivite=collectivite).first()
    )
    if found is None:
        raise InputError("membre", "cette personne n'est pas membre de la collectivité")
    return found


def _last_admin(membership: Membership) -> bool:
    if membership.role != Role.ADMIN:
        return False
    others = Membership.objects.filter(collectivite_id=membership.collectivite_id, role=Role.ADMIN)
    return not others.exclude(pk=membership.pk).exists()


def change_role(collectivite: Collectivite, by: User | None, membership_id: int, role: str) -> Membership:
    """Give a member another role (``by``: the admin who does it, None for an operator's command); the
    last admin keeps theirs. Raises InputError."""
    if role not in Role.values:
        raise InputError("role", f"rôle inconnu {role!r}")
    with transaction.atomic():
        membership = _membership(collectivite, membership_id)
        if membership.role == role:
            return membership
        if _last_admin(membership):
            raise InputError(
                "role", f"{membership.user.username} est le dernier admin : nommez d'abord un autre admin"
            )
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record_role(collectivite, by, membership.user.get_username(), previous, role)
        return membership


def remove_member(collectivite: Collectivite, by: User | None, membership_id: int) -> Membership:
    """Remove a member (their account stays, and so does what they wrote); never the last admin.
    ``by``: the admin who does it (None: an operator's command). Returns the deleted membership. Raises
    InputError."""
    with transaction.atomic():
        membership = _membership(collectivite, membership_id)
        if _last_admin(membership):
            raise InputError(
                "membre",
                f"{membership.user.username} est le dernier admin : la collectivité en garde au moins un",
            )
        record_role(collectivite, by, membership.user.get_username(), membership.role, None)
        membership.delete()
        return membership
