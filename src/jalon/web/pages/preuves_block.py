"""The « Preuves » block of the mesure page: the documents attached to the mesure and to each action
below it, the preuves réglementaires of those actions with their documents (or missing), and the
attach / detach forms of the members whose role writes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jalon.referentiel.model import Preuve, Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.errors import InputError
from jalon.web.pages.common import loaded, preorder, user_of
from jalon.web.preuves import services
from jalon.web.preuves.models import Target

DONE = {"joindre": "Document joint.", "retirer": "Document retiré."}


def _preuves_of(action_ids: list[str]) -> list[Preuve]:
    wanted = set(action_ids)
    return [p for p in loaded().preuves if wanted.intersection(p.action_ids)]


def post(request: HttpRequest, c: Collectivite, referentiel: Referentiel, mesure_id: str) -> str:
    """Attach or detach (``preuves`` = joindre / retirer) a document (``document``) to one of this page's
    actions or preuves (``cible`` = action / preuve, ``cible_id``); the message of what was done.
    Raises InputError."""
    what = request.POST.get("preuves", "")
    if what not in DONE:
        raise InputError("preuves", f"attendu joindre ou retirer, reçu {what[:20]!r}")
    target = request.POST.get("cible", "")
    target_id = request.POST.get("cible_id", "").strip()
    action_ids = preorder(referentiel, mesure_id)
    allowed = action_ids if target == Target.ACTION else [p.id for p in _preuves_of(action_ids)]
    if target in Target.values and target_id not in allowed:
        raise InputError("cible_id", f"{target_id[:40]!r} n'est pas sur cette mesure")
    document = request.POST.get("document", "")
    if what == "joindre":
        services.attach(c, user_of(request), document, target, target_id)
    else:
        services.detach(c, user_of(request), document, target, target_id)
    return DONE[what]


def context(
    request: HttpRequest, c: Collectivite, referentiel: Referentiel, mesure_id: str
) -> dict[str, Any]:
    """What the block shows to this person (a confidential document only to those who may see it)."""
    action_ids = preorder(referentiel, mesure_id)
    preuves = _preuves_of(action_ids)
    on_actions = services.attached(request.user, c, Target.ACTION, action_ids)
    on_preuves = services.attached(request.user, c, Target.PREUVE, [p.id for p in preuves])
    return {
        "actions": [
            {"action": referentiel.actions[a], "documents": on_actions[a]}
            for a in action_ids
            if a == mesure_id or on_actions[a]
        ],
        "targets": [(a, referentiel.actions[a].identifiant) for a in action_ids],
        "preuves": [{"preuve": p, "documents": on_preuves[p.id]} for p in preuves],
        "manquantes": sum(1 for p in preuves if not on_preuves[p.id]),
        "documents": list(services.documents(request.user, c)),
    }
