"""Identity tags, permissions, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from jalon.scenarios import IDENTITE_VALUES
from jalon.web.collectivites.models import WRITE_ROLES, ApiToken, Collectivite, Invitation, Membership, Role

AnyUser = User | AnonymousUser


def population_tags(population: int) -> frozenset[str]:
    """The population tags of the rules (spec §3.2): moins_de_N when N > population, plus_de_N when N <
    population, for the thresholds the rules know."""
    tags = set()
    for tag in IDENTITE_VALUES["population"]:
        kind, threshold = tag.rsplit("_", 1)
        n = int(threshold)
        if (kind == "moins_de" and n > population) or (kind == "plus_de" and n < population):
            tags.add(tag)
    return frozenset(tags)


def identite(collectivite: Collectivite) -> dict[str, frozenset[str]]:
    return {
        "type": frozenset({collectivite.type}),
        "population": population_tags(collectivite.population),
        "localisation": frozenset({collectivite.localisation}),
    }


def role_of(user: AnyUser, collectivite: Collectivite) -> str | None:
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user_id=user.pk, collectivite=collectivite).first()
    return membership.role if membership else None


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
    """A new invitation; returns the secret token to put in the link (shown once to the admin)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    token = secrets.token_urlsafe(24)
    Invitation.objects.create(collectivite=collectivite, role=role, token_hash=_hash(token), created_by=by)
    return token


def accept_invitation(token: str, user: User) -> Membership | None:
    """Join the collectivité of an unused invitation (None if the link is unknown or used)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=_hash(token), accepted_by__isnull=True)
            .first()
        )
        if invitation is None:
            return None
        invitation.accepted_by_id = user.pk
        invitation.accepted_at = timezone.now()
        invitation.save()
        membership, _ = Membership.objects.get_or_create(
            user_id=user.pk, collectivite=invitation.collectivite, defaults={"role": invitation.role}
        )
        return membership


TOKEN_PREFIX = "jalon_"


def create_api_token(user: User, name: str) -> str:
    """A new personal API token; returns it in clear once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user_id=user.pk, name=name, token_hash=_hash(token), last_characters=token[-4:])
    return token


def user_of_token(token: str) -> User | None:
    found = ApiToken.objects.select_related("user").filter(token_hash=_hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


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
