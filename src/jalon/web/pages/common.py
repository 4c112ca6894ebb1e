"""What every page needs: membership checks, the loaded référentiels, score bars, Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from jalon.referentiel.model import Referentiel, Referentiels
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import role_of
from jalon.web.referentiels.services import current_version, loaded_version


class Forbidden(Exception):
    """A member whose role does not allow this write (answered 403 by the views)."""


def member(request: HttpRequest, collectivite_id: int) -> tuple[Collectivite, str]:
    """The collectivité and the caller's role; 404 for a non-member, as if it did not exist."""
    collectivite = Collectivite.objects.filter(pk=collectivite_id).first()
    role = role_of(request.user, collectivite) if collectivite else None
    if collectivite is None or role is None:
        raise Http404("collectivité introuvable")
    return collectivite, role


def is_htmx(request: HttpRequest) -> bool:
    """A request htmx made (set by django-htmx's middleware): answer with the fragment it swaps."""
    return bool(getattr(request, "htmx", False))


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the views are login_required
    return user


def loaded() -> Referentiels:
    version = current_version()
    if version is None:
        raise Http404("aucun référentiel importé")
    return loaded_version(version)


def referentiel_of(action_id: str) -> Referentiel:
    for referentiel in loaded().referentiels.values():
        if action_id in referentiel.actions:
            return referentiel
    raise Http404("action inconnue")


def mesure_of(referentiel: Referentiel, action_id: str) -> str:
    """The mesure an action belongs to (itself for a mesure, the first node above it higher up)."""
    action = referentiel.actions[action_id]
    while action.depth > referentiel.action_level and action.parent is not None:
        action = referentiel.actions[action.parent]
    return action.id


def preorder(referentiel: Referentiel, action_id: str) -> list[str]:
    """The action and everything below it, depth first: the order a tree is read in (the référentiel's
    own ``actions`` are stored level by level)."""
    out = []
    stack = [action_id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(referentiel.actions[current].children))
    return out


def percent(part: Any, whole: Any) -> float:
    return round(100 * float(part or 0) / float(whole), 1) if whole else 0.0


def bars(s: Mapping[str, Any]) -> dict[str, float]:
    """Shares of the potentiel fait / programmé / pas fait, in %, for the stacked bars."""
    pot = s["point_potentiel"]
    return {
        "fait": percent(s["point_fait"], pot),
        "programme": percent(s["point_programme"], pot),
        "pas_fait": percent(s["point_pas_fait"], pot),
    }


def nombre(x: Any) -> str:
    """A score as Django's French localisation writes it (3,75 ; 6,0), for the rows built in Python."""
    return "–" if x is None else str(x).replace(".", ",")


def entier(n: int) -> str:
    """An integer with French thousands separators: 45 000 (a no-break space, as Django's fr locale)."""
    return f"{n:,}".replace(",", "\xa0")


def _width(pct: float) -> str:
    return f"{pct:.1f}"  # CSS lengths take a dot, whatever the locale


def bar_html(b: Mapping[str, float], css: str = "bar") -> SafeString:
    """The stacked fait / programmé / pas fait bar of a node (built here, not by a per-row include: the
    référentiel tree draws ~400 of them). ``title`` is both the tooltip and the accessible name."""
    fait, programme, pas_fait = (nombre(b[k]) for k in ("fait", "programme", "pas_fait"))
    label = escape(f"fait {fait} %, programmé {programme} %, pas fait {pas_fait} %")
    parts = "".join(
        f'<div class="{k}" style="width:{_width(b[k])}%"></div>'
        for k in ("fait", "programme", "pas_fait")
        if b[k]
    )
    return mark_safe(f'<div class="{css}" role="img" title="{label}">{parts}</div>')  # label escaped above


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # HTML in the référentiel texts is escaped, not rendered: they come from imported files.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str) -> SafeString:
    html: str = _markdown().render(text)
    return mark_safe(html)  # safe: markdown-it escapes raw HTML (html=False)


SECTION_LABELS = {
    "description": "Description",
    "contexte": "Contexte",
    "exemples": "Exemples",
    "ressources": "Ressources",
    "critere": "Critère",
    "perimetre_de_levaluation": "Périmètre de l'évaluation",
    "reduction_de_potentiel": "Réduction de potentiel",
    "retours_dexperience": "Retours d'expérience",
    "reglementation": "Réglementation",
    "preuve": "Preuve",
}


def sections(raw: Mapping[str, str]) -> list[tuple[str, SafeString]]:
    """The texts of an action, known sections first in a fixed order, then the others as written."""
    order = [k for k in SECTION_LABELS if k in raw] + [k for k in raw if k not in SECTION_LABELS]
    return [
        (SECTION_LABELS.get(k, k.replace("_", " ").capitalize()), markdown(raw[k]))
        for k in order
        if raw[k].strip()
    ]
