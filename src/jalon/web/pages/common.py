"""What every page needs: membership checks, the loaded référentiels, score bars, Markdown."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import nh3
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from jalon.referentiel.model import Action, Referentiel, Referentiels
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import member_of
from jalon.web.errors import InputError
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.services import Acces, acces_of


class Forbidden(Exception):
    """A member whose role does not allow this write (answered 403 by the views)."""


def member(request: HttpRequest, collectivite_id: int) -> tuple[Collectivite, str]:
    """The collectivité and the caller's role; 404 for a non-member, as if it did not exist."""
    found = member_of(request.user, collectivite_id)
    if found is None:
        raise Http404("collectivité introuvable")
    return found


def acces(request: HttpRequest, collectivite_id: int) -> Acces:
    """The caller's access (``statuts.services.Acces``): a member's role, or the référentiels they audit
    as an assigned auditor; 404 for anyone else, as if the collectivité did not exist."""
    found = acces_of(request.user, collectivite_id)
    if found is None:
        raise Http404("collectivité introuvable")
    # The menu leaves out the pages a non-member auditor may not open (base.html).
    request.jalon_membre = found.role is not None  # type: ignore[attr-defined]
    return found


def is_htmx(request: HttpRequest) -> bool:
    """A request htmx made (set by django-htmx's middleware): answer with the fragment it swaps."""
    return bool(getattr(request, "htmx", False))


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the views are login_required
    return user


def loaded() -> Referentiels:
    try:
        return current_loaded()[1]
    except InputError as error:  # a page with nothing to show: 404, with the reason
        raise Http404(error.reason) from None


def referentiel_of(action_id: str) -> Referentiel:
    referentiel = loaded().referentiel_of(action_id)
    if referentiel is None:
        raise Http404("action inconnue")
    return referentiel


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
    # The référentiel texts hold inline HTML (links mostly): markdown-it passes it through, and
    # ``markdown()`` sanitizes the whole result with an allow-list.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


# What the référentiel texts use (Markdown's output, and their own <a>, <i>, <sup>), nothing more.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "a", "em", "strong", "i", "b", "u", "sup", "sub", "code", "pre", "blockquote",
        "ul", "ol", "li", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


_ADDRESS_INSIDE = re.compile(r"https?://\S+")


def _www_or_nothing(url: str) -> str | None:
    """A link without a scheme: kept when it is a web address written without it (``www.rare.fr``) or
    with text before it (``Synthèse … : https://…``), both in the official CAE; dropped otherwise."""
    address = url.strip()
    if address.startswith("www."):
        return f"https://{address}"
    inside = _ADDRESS_INSIDE.search(address)
    return inside.group() if inside else None


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    """The allow-list sanitizer of the référentiel texts: absolute http(s) and mailto links only (a
    relative link would point at the official platform's pages, not ours; see ``_www_or_nothing``),
    every link with ``rel="noopener noreferrer"``, no ``target``: links open in the same tab (the
    mesure page warns before leaving it with unsaved statuts). Scripts, styles, event handlers and
    other schemes are dropped."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        url_relative=_www_or_nothing,
        link_rel="noopener noreferrer",
    )


# One link of the official CAE is written ``<a href="…"https://…></a>``: no space before a second
# "attribute", which Markdown then shows as text. It is read as ``<a href="…"></a>``, and a link
# without text shows its address.
_GLUED_ATTRIBUTE = re.compile(r'(<a href="[^"<>]*")[^\s<>]+>')
_EMPTY_LINK = re.compile(r'<a href="([^"]*)"([^>]*)></a>')


def _show_address(found: re.Match[str]) -> str:
    href = found.group(1)
    return f'<a href="{href}"{found.group(2)}>{escape(html.unescape(href))}</a>'


def markdown(text: str) -> SafeString:
    rendered: str = _markdown().render(_GLUED_ATTRIBUTE.sub(r"\1>", text))
    clean = _EMPTY_LINK.sub(_show_address, _cleaner().clean(rendered))
    return mark_safe(clean)  # safe: nh3 kept the allowed tags and attributes only


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


PREREQUIS = "Prérequis réglementaire du label : 0 point, mais exigé pour la labellisation"


def prerequis_of(referentiel: Referentiel, action: Action) -> Action | None:
    """The regulatory sous-mesure an action is or belongs to: the référentiels number it x.y.0 and give it
    0 point (cae 1.1.2.0, eci 2.4.0…); it counts for nothing in the score but the label requires it."""
    while action.depth > referentiel.action_level and action.parent is not None:
        if action.identifiant.rsplit(".", 1)[-1] == "0" and action.points == 0:
            return action
        action = referentiel.actions[action.parent]
    return None
