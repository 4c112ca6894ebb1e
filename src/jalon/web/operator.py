"""What the operator commands of ``jalon`` do on the database ``jalon serve`` uses: people and their
passwords, collectivités and their members, API tokens, référentiel imports, login blocks.

Each goes through the services the pages use (one place writes each table), and refuses with an
``OperatorError`` whose message, in French, says what was wrong and what to do; the command line prints
it and exits with status 1. Import this module only once ``jalon.web.serve.connect`` has set Django up.
"""

from __future__ import annotations

import importlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from jalon.referentiel.errors import Problem, ReferentielError
from jalon.web.collectivites import services
from jalon.web.collectivites.models import ApiToken, Collectivite, Membership, Role
from jalon.web.errors import InputError
from jalon.web.pages.parametres import parse_population
from jalon.web.preuves import files
from jalon.web.referentiels.services import ImportResult, current_version, import_folder


class OperatorError(Exception):
    """A refused operation; the message, in French, is for the operator."""


# -- people ---------------------------------------------------------------------------------------


def generate_password() -> str:
    """A random password of 16 characters (96 bits), which any reasonable validator accepts."""
    return secrets.token_urlsafe(12)


def user_named(username: str) -> User:
    found = User.objects.filter(username=username).first()
    if found is None:
        raise OperatorError(f"aucun utilisateur ne s'appelle « {username} »")
    return found


def _validated(password: str, user: User) -> str:
    """The password, if Django's password validators (the settings') accept it for this user."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise OperatorError("mot de passe refusé : " + " ".join(error.messages)) from None
    return password


def create_user(username: str, password: str, email: str = "", superuser: bool = False) -> User:
    """A new account; ``superuser``: with access to Django's admin (/admin/) and every right there."""
    field = User._meta.get_field("username")
    try:
        field.clean(username, None)
    except ValidationError as error:
        raise OperatorError(
            f"nom d'utilisateur « {username} » refusé : " + " ".join(error.messages)
        ) from None
    if User.objects.filter(username=username).exists():
        raise OperatorError(f"le nom d'utilisateur « {username} » est déjà pris")
    _validated(password, User(username=username, email=email))
    if superuser:
        return User.objects.create_superuser(username, email, password)
    return User.objects.create_user(username, email, password)


def set_password(username: str, password: str) -> User:
    user = user_named(username)
    user.set_password(_validated(password, user))
    user.save(update_fields=["password"])
    return user


def unlock(username: str | None, address: str | None) -> int:
    """Forget the failed logins that block an account or an address (django-axes); how many
    records were removed."""
    if not username and not address:
        raise OperatorError("donnez un nom d'utilisateur, une adresse IP (--adresse), ou les deux")
    if not apps.is_installed("axes"):
        raise OperatorError(
            "le blocage des connexions après des échecs répétés (django-axes) n'est pas en place dans "
            "cette installation : aucun compte ni aucune adresse n'est bloqué"
        )
    reset = importlib.import_module("axes.utils").reset  # imported here: installed apps decide
    if username:
        user_named(username)
    count = 0
    if username:
        count += int(reset(username=username))
    if address:
        count += int(reset(ip=address))
    return count


# -- collectivités and members ------------------------------------------------------------------


def collectivite_of(reference: str) -> Collectivite:
    """A collectivité by its number (as in its address, /c/N/) or its exact name."""
    if reference.isdigit():
        found = Collectivite.objects.filter(pk=int(reference)).first()
    else:
        named = list(Collectivite.objects.filter(nom=reference)[:2])
        if len(named) > 1:
            raise OperatorError(f"plusieurs collectivités s'appellent « {reference} » : donnez son numéro")
        found = named[0] if named else None
    if found is None:
        raise OperatorError(
            f"aucune collectivité « {reference} » (son numéro ou son nom exact ; "
            "`jalon collectivite liste` les montre)"
        )
    return found


def create_collectivite(nom: str, type: str, population: str, localisation: str, admin: str) -> Collectivite:
    user = user_named(admin)
    try:
        return services.create_collectivite(nom, type, parse_population(population), localisation, user, None)
    except InputError as error:
        raise OperatorError(f"{error.field} : {error.reason}") from None


@dataclass(frozen=True)
class CollectiviteRow:
    id: int
    nom: str
    type: str
    population: int
    admins: list[str]
    members: int


def list_collectivites() -> list[CollectiviteRow]:
    rows = []
    for c in Collectivite.objects.order_by("nom", "pk").prefetch_related("memberships__user"):
        memberships = list(c.memberships.all())
        admins = sorted(m.user.username for m in memberships if m.role == Role.ADMIN)
        rows.append(CollectiviteRow(c.pk, c.nom, c.type, c.population, admins, len(memberships)))
    return rows


def set_member(reference: str, username: str, role: str) -> tuple[Collectivite, str | None]:
    """Make someone a member with this role, or give a member this role; the previous role (None for a
    newcomer). The last admin of a collectivité stays one."""
    collectivite = collectivite_of(reference)
    user = user_named(username)
    if role not in Role.values:
        raise OperatorError(f"rôle inconnu « {role} » ; attendu : {', '.join(Role.values)}")
    try:
        with transaction.atomic():
            membership = Membership.objects.filter(user=user, collectivite=collectivite).first()
            if membership is None:
                services.add_member(collectivite, user, role, None)
                return collectivite, None
            previous = membership.role
            services.change_role(collectivite, None, membership.pk, role)
            return collectivite, previous
    except InputError as error:
        raise OperatorError(error.reason) from None


def remove_member(reference: str, username: str) -> tuple[Collectivite, str]:
    """Remove a member (their account stays); never the last admin. The role they had."""
    collectivite = collectivite_of(reference)
    user = user_named(username)
    membership = Membership.objects.filter(user=user, collectivite=collectivite).first()
    if membership is None:
        raise OperatorError(f"{username} n'est pas membre de {collectivite.nom}")
    try:
        removed = services.remove_member(collectivite, None, membership.pk)
    except InputError as error:
        raise OperatorError(error.reason) from None
    return collectivite, removed.role


# -- API tokens ---------------------------------------------------------------------------------


def create_token(username: str, name: str) -> str:
    if not name.strip() or len(name) > (ApiToken._meta.get_field("name").max_length or 0):
        raise OperatorError("le nom du jeton doit compter entre 1 et 100 caractères")
    return services.create_api_token(user_named(username), name.strip())


def list_tokens(username: str) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user_named(username)).order_by("pk"))


def revoke_token(username: str, token_id: int) -> None:
    if not services.revoke_api_token(user_named(username), token_id):
        raise OperatorError(
            f"{username} n'a pas de jeton n° {token_id} (`jalon jeton liste {username}` les montre)"
        )


# -- référentiels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    result: ImportResult | None
    problems: tuple[Problem, ...]  # of a broken folder, which was not imported
    kept: int | None  # then, the version still in use


def import_referentiel(folder: Path, criteres: Path | None = None) -> Imported:
    """Import a folder as a new version, validated first: a broken one is not imported (its problems
    are returned) and the current version stays in use."""
    if not folder.is_dir():
        raise OperatorError(f"{folder} : ce n'est pas un dossier")
    try:
        return Imported(import_folder(folder, criteres), (), None)
    except ReferentielError as error:
        kept = current_version()
        return Imported(None, error.problems, kept.pk if kept else None)


# -- bibliothèque -------------------------------------------------------------------------------


def remove_unreferenced_files() -> list[str]:
    """Remove the bibliothèque's stored contents no document references (``preuves.files``)."""
    return files.remove_unreferenced()
