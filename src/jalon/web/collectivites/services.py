"""Identity tags, permissions, invitations, members' history and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone

from jalon.web.collectivites.models import (
    WRITE_ROLES,
    ApiToken,
    Collectivite,
    Invitation,
    Membership,
    Role,
)
from jalon.web.errors import InputError
from jalon.web.statuts.models import Kind
from jalon.web.statuts.write import Write, change

AnyUser = User | AnonymousUser


def can_write(role: str | None) -> bool:
    return role in WRITE_ROLES


def collectivites_of(user: AnyUser) -> list[tuple[Collectivite, str]]:
    if not user.is_authenticated:
        return []
    return [
        (m.collectivite, m.role)
        for m in Membership.objects.filter(user_id=user.pk)
        .select_related("collectivite")
        .order_by("collectivite__nom")
    ]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(collectivite: Collectivite, role: str, by: User) -> str:
    """A new invitation, valid JALON_INVITATION_DAYS days; returns the secret token to put in the link
    (shown once to the admin)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    token = secrets.token_urlsafe(24)
    Invitation.objects.create(
        collectivite=collectivite,
        role=role,
        token_hash=_hash(token),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=settings.JALON_INVITATION_DAYS),
    )
    return token


class InvitationRefused(Exception):
    """An invitation link that cannot be used; ``reason`` says why, in French, to the person holding it."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # the HTTP status of the page that says so


UNKNOWN_INVITATION = (
    "Ce lien d'invitation est inconnu, révoqué ou a déjà servi. "
    "Demandez-en un nouveau à l'admin de la collectivité."
)


def _check_usable(invitation: Invitation | None) -> Invitation:
    """The invitation if its link may be used now, else InvitationRefused: unknown or used, expired, or
    made by someone who is no longer an admin of the collectivité (a link grants at most what its creator
    may still grant)."""
    if invitation is None or invitation.accepted_by_id is not None:
        raise InvitationRefused(UNKNOWN_INVITATION, 404)
    if invitation.expires_at <= timezone.now():
        when = timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y à %H:%M")
        raise InvitationRefused(
            f"Ce lien d'invitation a expiré le {when}. Demandez-en un nouveau à l'admin de la collectivité.",
            410,
        )
    creator_is_admin = Membership.objects.filter(
        user_id=invitation.created_by_id,
        user__is_active=True,
        collectivite_id=invitation.collectivite_id,
        role=Role.ADMIN,
    ).exists()
    if not creator_is_admin:
        raise InvitationRefused(
            "Ce lien d'invitation n'est plus valable : la personne qui l'a créé n'est plus admin de la "
            "collectivité. Demandez-en un nouveau à un admin actuel.",
            403,
        )
    return invitation


def invitation_of(token: str) -> Invitation:
    """The usable invitation of a link, with its collectivité (to show what it offers); raises
    InvitationRefused."""
    found = Invitation.objects.select_related("collectivite").filter(token_hash=_hash(token)).first()
    return _check_usable(found)


def record_role(w: Write, username: str, previous: str | None, new: str | None) -> None:
    """The history entry of a member's arrival, role change or removal (a role, None when not a
    member), in a write of the collectivité (``w``)."""
    w.record(Kind.MEMBRE, username, previous, new)


def _user_id(user: User | None) -> int | None:
    return None if user is None else user.pk


def record_removals_of_deleted_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Before a person is deleted: one history entry per collectivité they leave (who deleted them is
    not known here: no author). Runs in the deletion's transaction, a write of each collectivité."""
    for membership in Membership.objects.filter(user=instance).order_by("collectivite_id"):
        with change(membership.collectivite_id, None) as w:
            record_role(w, instance.get_username(), membership.role, None)


def accept_invitation(token: str, user: User) -> Membership:
    """Join the collectivité of a usable invitation (see ``invitation_of``), with its history entry; the
    link is then used. Raises InvitationRefused."""
    hashed = _hash(token)
    with transaction.atomic():
        of_link = Invitation.objects.filter(token_hash=hashed)
        found_id = of_link.values_list("collectivite_id", flat=True).first()
        if found_id is None:
            raise InvitationRefused(UNKNOWN_INVITATION, 404)
        # A write of the collectivité (its lock first, in the order of every other write of it: the
        # creator's role read below cannot change before this commits), then the invitation.
        with change(found_id, user.pk) as w:
            invitation = _check_usable(
                Invitation.objects.select_for_update().filter(token_hash=hashed).first()
            )
            invitation.accepted_by_id = user.pk
            invitation.accepted_at = timezone.now()
            invitation.save()
            membership, created = Membership.objects.get_or_create(
                user_id=user.pk, collectivite_id=found_id, defaults={"role": invitation.role}
            )
            if created:  # an existing member keeps their role: nothing changed
                record_role(w, user.get_username(), None, membership.role)
        return membership


TOKEN_PREFIX = "jalon_"


def create_api_token(user: User, name: str) -> str:
    """A new personal API token; returns it in clear once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user_id=user.pk, name=name, token_hash=_hash(token), last_characters=token[-4:])
    return token


# Read on every API request: plain cursors and ``from_db``, as a raw query set's machinery cost more
# than the query. The other fields are deferred, loaded if ever read.
# In the model's field order: Model.from_db gives a partial row's values to the fields in that order,
# whatever order the names are listed in.
_USER_FIELDS = ["id", "is_superuser", "username", "is_staff", "is_active"]
_COLLECTIVITE_FIELDS = ["id", "nom", "type", "population", "localisation", "cot"]


def user_of_token(token: str) -> User | None:
    """The active user of a token: one query on the token's unique (indexed) hash."""
    qn = connection.ops.quote_name
    columns = ", ".join(f"u.{qn(f)}" for f in _USER_FIELDS)
    sql = (
        f"SELECT {columns} FROM {qn(User._meta.db_table)} u JOIN {qn(ApiToken._meta.db_table)} t"
        " ON t.user_id = u.id WHERE t.token_hash = %s AND u.is_active = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_hash(token), True])
        row = cursor.fetchone()
    if row is None:
        return None
    # SQLite gives booleans as integers.
    values = [row[0], bool(row[1]), row[2], bool(row[3]), bool(row[4])]
    return User.from_db(connection.alias, _USER_FIELDS, values)


def member_statement(user_id: int, collectivite_id: int) -> tuple[str, list[Any]]:
    """The statement reading a collectivité and the user's role in it, for ``member_of_row``."""
    qn = connection.ops.quote_name
    columns = ", ".join(f"c.{qn(f)}" for f in _COLLECTIVITE_FIELDS)
    sql = (
        f"SELECT {columns}, m.role FROM {qn(Collectivite._meta.db_table)} c"
        f" JOIN {qn(Membership._meta.db_table)} m ON m.collectivite_id = c.id"
        " WHERE c.id = %s AND m.user_id = %s"
    )
    return sql, [collectivite_id, user_id]


def member_of_row(row: tuple[Any, ...] | None) -> tuple[Collectivite, str] | None:
    if row is None:
        return None
    role: str = row[-1]
    return Collectivite.from_db(connection.alias, _COLLECTIVITE_FIELDS, list(row[:-1])), role


def member_of(user: AnyUser, collectivite_id: int) -> tuple[Collectivite, str] | None:
    """The collectivité and the user's role in it, in one query; None if not a member (or no such
    collectivité)."""
    if not user.is_authenticated:
        return None
    assert user.pk is not None
    with connection.cursor() as cursor:
        cursor.execute(*member_statement(user.pk, collectivite_id))
        return member_of_row(cursor.fetchone())


def role_of(user: AnyUser, collectivite: Collectivite) -> str | None:
    """The user's role in the collectivité, None when not a member."""
    found = member_of(user, collectivite.pk)
    return None if found is None else found[1]


def revoke_invitation(collectivite: Collectivite, invitation_id: int) -> bool:
    """Delete an unused invitation of this collectivité (its link stops working); False if none."""
    deleted, _ = Invitation.objects.filter(
        collectivite=collectivite, pk=invitation_id, accepted_by__isnull=True
    ).delete()
    return deleted > 0


def revoke_api_token(user: User, token_id: int) -> bool:
    """Delete one of the user's own tokens; False if the user has no such token."""
    deleted, _ = ApiToken.objects.filter(user_id=user.pk, pk=token_id).delete()
    return deleted > 0


def create_collectivite(
    nom: str, type: str, population: int, localisation: str, admin: User, by: User | None
) -> Collectivite:
    """A new collectivité with ``admin`` as its first admin, and the history entry of that arrival, in
    one transaction (``by``: who created it, None for an operator's command). Raises InputError naming
    the field."""
    from jalon.web.collectivites.models import Localisation, TypeCollectivite

    nom = nom.strip()
    longest = Collectivite._meta.get_field("nom").max_length or 0
    if not nom or len(nom) > longest:
        raise InputError("nom", f"entre 1 et {longest} caractères")
    for field, value, allowed in (
        ("type", type, TypeCollectivite.values),
        ("localisation", localisation, Localisation.values),
    ):
        if value not in allowed:
            raise InputError(field, f"valeur inconnue {value!r} ; attendu : {', '.join(allowed)}")
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise InputError("population", "un nombre d'habitants entier et positif est attendu")
    with transaction.atomic():
        created = Collectivite.objects.create(
            nom=nom, type=type, population=population, localisation=localisation
        )
        with change(created.pk, _user_id(by)) as w:
            Membership.objects.create(user_id=admin.pk, collectivite=created, role=Role.ADMIN)
            record_role(w, admin.get_username(), None, Role.ADMIN)
    return created


def add_member(collectivite: Collectivite, user: User, role: str, by: User | None) -> Membership:
    """Make ``user`` a member with ``role``, with the history entry of the arrival (``by``: who did it,
    None for an operator's command). Raises InputError when already a member (change the role
    instead) or for an unknown role."""
    if role not in Role.values:
        raise InputError("role", f"rôle inconnu {role!r} ; attendu : {', '.join(Role.values)}")
    with change(collectivite.pk, _user_id(by)) as w:
        if Membership.objects.filter(user_id=user.pk, collectivite_id=collectivite.pk).exists():
            raise InputError("membre", f"{user.get_username()} est déjà membre de {w.nom}")
        membership = Membership.objects.create(user_id=user.pk, collectivite_id=collectivite.pk, role=role)
        record_role(w, user.get_username(), None, role)
    return membership


# -- role changes and removals: under the collectivité's lock, the one every write takes, so two admins
# demoting each other at once cannot leave a collectivité without an admin.


def _membership(collectivite_id: int, membership_id: int) -> Membership:
    found = (
        Membership.objects.select_related("user")
        .filter(pk=membership_id, collectivite_id=collectivite_id)
        .first()
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
    with change(collectivite.pk, _user_id(by)) as w:
        membership = _membership(collectivite.pk, membership_id)
        if membership.role == role:
            return membership
        if _last_admin(membership):
            raise InputError(
                "role", f"{membership.user.username} est le dernier admin : nommez d'abord un autre admin"
            )
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record_role(w, membership.user.get_username(), previous, role)
        return membership


def remove_member(collectivite: Collectivite, by: User | None, membership_id: int) -> Membership:
    """Remove a member (their account stays, and so does what they wrote); never the last admin.
    ``by``: the admin who does it (None: an operator's command). Returns the deleted membership. Raises
    InputError."""
    with change(collectivite.pk, _user_id(by)) as w:
        membership = _membership(collectivite.pk, membership_id)
        if _last_admin(membership):
            raise InputError(
                "membre",
                f"{membership.user.username} est le dernier admin : la collectivité en garde au moins un",
            )
        record_role(w, membership.user.get_username(), membership.role, None)
        membership.delete()
        return membership
