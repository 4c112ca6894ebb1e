"""The pilotes and services of the mesures: who pilots an action (a member of the collectivité, or a
named person who is not one) and which of the collectivité's services work on it (PLATFORM-NOTES §3,
« Pilotes and services per mesure »). Shown on the mesure page and the tree, and read by the demande,
which needs pilotes on the actions the criteria file names.

Every change goes through the write primitive (``statuts/write.py``) with its history entry:
``Kind.PILOTE`` (subject « pilote <action id> », previous / new: the pilote as shown, None when absent)
and ``Kind.SERVICE`` (« service <action id> » for a service put on or taken off an action; « service »
for a service created). Bad input is refused with the field and a French reason, before anything is
written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email

from jalon.referentiel.model import Referentiels
from jalon.web.collectivites.models import WRITE_ROLES, Collectivite, Membership
from jalon.web.collectivites.services import role_of
from jalon.web.errors import InputError
from jalon.web.labellisation import models
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import Kind
from jalon.web.statuts.write import change

MAX_NOM = 200
MAX_EMAIL = 254


@dataclass(frozen=True)
class PiloteVue:
    """A pilote as the pages show it. ``cle``: the same person on every action (« m<user id> » for a
    member, « n<nom> » for a named person), what the tree's filter chooses."""

    id: int
    action_id: str
    nom: str
    email: str
    membre: bool  # a member chosen (not a name typed)
    cle: str
    parti: bool = False  # a member chosen who is no longer one

    @property
    def libelle(self) -> str:
        """The pilote as the history and the pages write it."""
        if self.membre:
            return f"{self.nom} ({'ancien membre' if self.parti else 'membre'})"
        return f"{self.nom} <{self.email}>" if self.email else self.nom


def display_name(user: User) -> str:
    return user.get_full_name().strip() or user.username


def _vue(row: models.Pilote, users: dict[int, User], members: set[int]) -> PiloteVue:
    if row.user_id is not None:
        user = users.get(row.user_id)
        nom = display_name(user) if user is not None else f"compte {row.user_id}"
        # A member who has left the collectivité stays its pilote until taken off: said so.
        membre = row.user_id in members
        return PiloteVue(row.pk, row.action_id, nom, "", True, f"m{row.user_id}", not membre)
    return PiloteVue(row.pk, row.action_id, row.nom, row.email, False, f"n{row.nom}")


def _vues(rows: Iterable[models.Pilote]) -> list[PiloteVue]:
    rows = list(rows)
    ids = {r.user_id for r in rows if r.user_id is not None}
    if not ids:
        return [_vue(r, {}, set()) for r in rows]
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    members = set(
        Membership.objects.filter(collectivite_id=rows[0].collectivite_id, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    return [_vue(r, users, members) for r in rows]


# -- reading --------------------------------------------------------------------------------------------


def pilotes_by_action(
    collectivite: Collectivite, action_ids: Iterable[str] | None = None
) -> dict[str, list[PiloteVue]]:
    """Action id → its pilotes, in the order they were named (of ``action_ids`` only, when given)."""
    rows = models.Pilote.objects.filter(collectivite=collectivite)
    if action_ids is not None:
        rows = rows.filter(action_id__in=list(action_ids))
    found: dict[str, list[PiloteVue]] = {}
    for vue in _vues(rows):
        found.setdefault(vue.action_id, []).append(vue)
    return found


def services_of(collectivite: Collectivite) -> list[models.Service]:
    """The collectivité's services, by name."""
    return list(models.Service.objects.filter(collectivite=collectivite))


def services_by_action(
    collectivite: Collectivite, action_ids: Iterable[str] | None = None
) -> dict[str, list[models.Service]]:
    """Action id → the services put on it, by name."""
    rows = models.ServiceAction.objects.filter(service__collectivite=collectivite).select_related("service")
    if action_ids is not None:
        rows = rows.filter(action_id__in=list(action_ids))
    found: dict[str, list[models.Service]] = {}
    for row in sorted(rows, key=lambda r: (r.service.nom, r.service_id)):
        found.setdefault(row.action_id, []).append(row.service)
    return found


def membres_of(collectivite: Collectivite) -> list[User]:
    """The members who can be chosen as pilotes, by name."""
    users = User.objects.filter(memberships__collectivite=collectivite, is_active=True).distinct()
    return sorted(users, key=lambda u: (display_name(u).casefold(), u.pk))


def actions_pilotees(collectivite_id: int, referentiels: Referentiels) -> set[str]:
    """The actions that have a pilote: their own, or one of an action above them (the pilote of a
    mesure pilots its sous-mesures and tâches). What the demande's condition reads."""
    piloted = set(
        models.Pilote.objects.filter(collectivite_id=collectivite_id).values_list("action_id", flat=True)
    )
    found: set[str] = set()
    for referentiel in referentiels.referentiels.values():
        stack = [a for a in piloted if a in referentiel.actions]
        while stack:
            action_id = stack.pop()
            if action_id not in found:
                found.add(action_id)
                stack.extend(referentiel.actions[action_id].children)
    return found


# -- checks ---------------------------------------------------------------------------------------------


def _editeur(user: User, collectivite: Collectivite, quoi: str) -> None:
    if role_of(user, collectivite) not in WRITE_ROLES:
        raise PermissionDenied(f"{quoi} : réservé aux membres en édition, admin ou conseiller.")


def check_nom(field: str, nom: str) -> str:
    nom = " ".join(nom.split())
    if not nom or len(nom) > MAX_NOM or "\x00" in nom:
        raise InputError(field, f"un nom de 1 à {MAX_NOM} caractères est attendu")
    return nom


def _check_email(email: str) -> str:
    email = email.strip()
    if not email:
        return ""
    try:
        if len(email) > MAX_EMAIL:
            raise ValidationError("trop long")
        validate_email(email)
    except ValidationError:
        raise InputError(
            "email", f"adresse e-mail invalide : {email[:80]!r} (attendu : nom@domaine.fr)"
        ) from None
    return email


def _check_action(action_id: str) -> Referentiels:
    """The loaded référentiels, once ``action_id`` is known to be a mesure or below."""
    _, loaded = current_loaded()
    for referentiel in loaded.referentiels.values():
        action = referentiel.actions.get(action_id)
        if action is not None:
            if action.depth < referentiel.action_level:
                raise InputError(
                    "action_id", f"{action_id!r} n'est pas une mesure ni une action d'une mesure"
                )
            return loaded
    raise InputError("action_id", f"action inconnue : {action_id!r}")


def _id(field: str, value: int | str, quoi: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise InputError(field, f"{quoi} inconnu : {text[:40]!r}")
    return int(text)


# -- pilotes --------------------------------------------------------------------------------------------


def ajouter_pilote(
    collectivite: Collectivite,
    user: User,
    action_id: str,
    *,
    membre: int | str | None = None,
    nom: str = "",
    email: str = "",
) -> PiloteVue:
    """Put a pilote on an action (an éditeur): a member of the collectivité (``membre``, a user id), or
    a person named (``nom``, optional ``email``), not both. Naming the same pilote again changes
    nothing."""
    _editeur(user, collectivite, "Ajouter un pilote")
    _check_action(action_id)
    chosen = membre is not None and str(membre).strip() != ""
    if chosen and nom.strip():
        raise InputError("membre", "choisir un membre ou écrire un nom, pas les deux")
    if chosen:
        if email.strip():
            raise InputError("email", "l'adresse d'un membre est celle de son compte : à laisser vide")
        user_id = _id("membre", membre if membre is not None else "", "membre")
    else:
        if not nom.strip():
            raise InputError("nom", "choisir un membre ou écrire le nom du pilote")
        nom = check_nom("nom", nom)
        email = _check_email(email)
    with change(collectivite.pk, user.pk) as w:
        rows = models.Pilote.objects.filter(collectivite=collectivite, action_id=action_id)
        if chosen:
            if not Membership.objects.filter(collectivite=collectivite, user_id=user_id).exists():
                raise InputError("membre", f"pas membre de la collectivité : {user_id}")
            found = rows.filter(user_id=user_id).first()
            if found is None:
                found = models.Pilote.objects.create(
                    collectivite=collectivite, action_id=action_id, user_id=user_id
                )
                created = True
            else:
                created = False
        else:
            found = rows.filter(user__isnull=True, nom=nom).first()
            created = found is None
            if found is None:
                found = models.Pilote.objects.create(
                    collectivite=collectivite, action_id=action_id, nom=nom, email=email
                )
            elif email and found.email != email:
                previous = _vues([found])[0].libelle
                found.email = email
                found.save(update_fields=["email"])
                w.record(Kind.PILOTE, f"pilote {action_id}", previous, _vues([found])[0].libelle)
        vue = _vues([found])[0]
        if created:
            w.record(Kind.PILOTE, f"pilote {action_id}", None, vue.libelle)
    return vue


def retirer_pilote(collectivite: Collectivite, user: User, pilote_id: int | str) -> None:
    """Take a pilote off its action (an éditeur)."""
    _editeur(user, collectivite, "Retirer un pilote")
    pk = _id("pilote", pilote_id, "pilote")
    with change(collectivite.pk, user.pk) as w:
        found = models.Pilote.objects.filter(collectivite=collectivite, pk=pk).first()
        if found is None:
            raise InputError("pilote", f"pilote inconnu : {pk}")
        vue = _vues([found])[0]
        found.delete()
        w.record(Kind.PILOTE, f"pilote {vue.action_id}", vue.libelle, None)


# -- services -------------------------------------------------------------------------------------------


def _service(collectivite: Collectivite, service_id: int | str) -> models.Service:
    pk = _id("service", service_id, "service")
    found = models.Service.objects.filter(collectivite=collectivite, pk=pk).first()
    if found is None:
        raise InputError("service", f"service inconnu : {pk}")
    return found


def _create_service(collectivite: Collectivite, nom: str) -> tuple[models.Service, bool]:
    """Under the write's lock: the service of that name (any case), created when new."""
    found = models.Service.objects.filter(collectivite=collectivite, nom__iexact=nom).first()
    if found is not None:
        return found, False
    return models.Service.objects.create(collectivite=collectivite, nom=nom), True


def creer_service(collectivite: Collectivite, user: User, nom: str) -> models.Service:
    """A new service of the collectivité (an éditeur); one of that name already there is returned."""
    _editeur(user, collectivite, "Créer un service")
    nom = check_nom("service", nom)
    with change(collectivite.pk, user.pk) as w:
        service, created = _create_service(collectivite, nom)
        if created:
            w.record(Kind.SERVICE, "service", None, nom)
    return service


def ajouter_service(
    collectivite: Collectivite,
    user: User,
    action_id: str,
    *,
    service_id: int | str | None = None,
    nouveau: str = "",
) -> models.Service:
    """Put a service on an action (an éditeur): one of the collectivité's (``service_id``), or a new one
    named ``nouveau``, created in the same write."""
    _editeur(user, collectivite, "Ajouter un service")
    _check_action(action_id)
    chosen = service_id is not None and str(service_id).strip() != ""
    if chosen and nouveau.strip():
        raise InputError("service", "choisir un service ou en nommer un nouveau, pas les deux")
    if not chosen:
        if not nouveau.strip():
            raise InputError("service", "choisir un service ou écrire le nom d'un nouveau")
        nouveau = check_nom("service", nouveau)
    with change(collectivite.pk, user.pk) as w:
        if chosen:
            service = _service(collectivite, service_id if service_id is not None else "")
        else:
            service, created = _create_service(collectivite, nouveau)
            if created:
                w.record(Kind.SERVICE, "service", None, service.nom)
        _, made = models.ServiceAction.objects.get_or_create(service=service, action_id=action_id)
        if made:
            w.record(Kind.SERVICE, f"service {action_id}", None, service.nom)
    return service


def retirer_service(collectivite: Collectivite, user: User, action_id: str, service_id: int | str) -> None:
    """Take a service off an action (an éditeur); the service stays, for other mesures."""
    _editeur(user, collectivite, "Retirer un service")
    with change(collectivite.pk, user.pk) as w:
        service = _service(collectivite, service_id)
        deleted, _ = models.ServiceAction.objects.filter(service=service, action_id=action_id).delete()
        if not deleted:
            raise InputError("service", f"le service « {service.nom} » n'est pas sur {action_id!r}")
        w.record(Kind.SERVICE, f"service {action_id}", service.nom, None)
