"""Server-rendered pages in French. Thin: permissions, then the services, then a template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.views import serve
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jalon.labellisation.etoiles import etoile
from jalon.referentiel.model import CATEGORIES, Referentiel
from jalon.web.collectivites.services import can_write, collectivites_of
from jalon.web.pages.common import bars, loaded, member, percent
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, StatutRecord

NON_RENSEIGNE = "non_renseigne"


def static(request: HttpRequest, path: str) -> FileResponse:
    """htmx and the admin's files, found by the staticfiles finders: `jalon serve` has no front server
    and DEBUG is off, so nothing else serves them."""
    return serve(request, path, insecure=True)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html", {"collectivites": collectivites_of(request.user)})


@dataclass(frozen=True)
class AxeBar:
    """One bar of the per-axe chart: its label, % fait and % programmé, and where it is drawn."""

    identifiant: str
    nom: str
    fait: float
    programme: float
    y: int

    @property
    def fait_width(self) -> float:
        return round(self.fait * 3, 1)  # the chart's bars are 300 px for 100 %

    @property
    def programme_width(self) -> float:
        return round(self.programme * 3, 1)

    @property
    def programme_x(self) -> float:
        return 300 + self.fait_width


def _axes(referentiel: Referentiel, scores: dict[str, Any]) -> list[AxeBar]:
    out = []
    for i, axe_id in enumerate(referentiel.root.children):
        axe = referentiel.actions[axe_id]
        b = bars(scores[axe_id])
        nom = axe.nom if len(axe.nom) <= 44 else axe.nom[:43] + "…"
        out.append(AxeBar(axe.identifiant, nom, b["fait"], b["programme"], 10 + 28 * i))
    return out


@login_required
def dashboard(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    c, role = member(request, collectivite_id)
    rows = []
    for ref_id, referentiel in loaded().referentiels.items():
        scores = services.scores(c, ref_id)
        s = scores[ref_id]
        fait, potentiel = float(s["point_fait"] or 0), float(s["point_potentiel"] or 0)
        star = etoile(fait, potentiel)
        missing = None
        if star.prochain_seuil is not None:
            missing = round(star.prochain_seuil / 100 * potentiel - fait, 1)
        axes = _axes(referentiel, scores)
        ranked = sorted((a for a in axes), key=lambda a: a.fait)
        rows.append(
            {
                "referentiel": referentiel,
                "scores": s,
                "bars": bars(s),
                "etoile": star,
                "points_manquants": missing,
                "axes": axes,
                "chart_height": 20 + 28 * len(axes),
                "forts": list(reversed(ranked[-2:])) if len(ranked) > 1 else ranked,
                "faibles": ranked[:2] if len(ranked) > 1 else [],
                "completude": percent(s["completed_taches_count"], s["total_taches_count"]),
            }
        )
    return render(
        request,
        "pages/dashboard.html",
        {
            "collectivite": c,
            "role": role,
            "rows": rows,
            "can_write": can_write(role),
            "is_admin": role == "admin",
        },
    )


def _node_statuts(referentiel: Referentiel, records: dict[str, StatutRecord]) -> dict[str, set[str]]:
    """For every node, the statuts found on it and below it (non renseigné for a leaf without one)."""
    found: dict[str, set[str]] = {}
    for action in reversed(list(referentiel.actions.values())):  # children before parents
        own: set[str] = set()
        record = records.get(action.id)
        if record is not None:
            own.add(record.avancement)
        elif action.is_leaf and action.depth > referentiel.action_level:
            own.add(NON_RENSEIGNE)
        for child in action.children:
            own |= found[child]
        found[action.id] = own
    return found


def _categorie(referentiel: Referentiel, action_id: str) -> str | None:
    """A node's phase: its own, or its sous-mesure's for a tâche."""
    action = referentiel.actions[action_id]
    while action.categorie is None and action.depth > referentiel.action_level + 1 and action.parent:
        action = referentiel.actions[action.parent]
    return action.categorie


@login_required
def tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> HttpResponse:
    c, _role = member(request, collectivite_id)
    referentiel = loaded().referentiels.get(referentiel_id)
    if referentiel is None:
        raise Http404("référentiel inconnu")
    scores = services.scores(c, referentiel_id)
    query = request.GET.get("q", "").strip().lower()
    statut = request.GET.get("statut", "")
    categorie = request.GET.get("categorie", "")
    statut_choices = [*Avancement.choices, (NON_RENSEIGNE, "Non renseigné")]
    errors = []
    if statut and statut not in dict(statut_choices):
        errors.append(f"statut : valeur inconnue {statut!r}")
    if categorie and categorie not in CATEGORIES:
        errors.append(f"catégorie : valeur inconnue {categorie!r}")
    if errors:
        statut = categorie = ""
    shown_depth = referentiel.action_level + 1
    records = {
        r.action_id: r for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel_id)
    }
    below = _node_statuts(referentiel, records) if statut else {}

    def matches(action_id: str) -> bool:
        action = referentiel.actions[action_id]
        if query and query not in action.nom.lower() and query not in action.identifiant:
            return False
        if categorie and _categorie(referentiel, action_id) != categorie:
            return False
        return not statut or statut in below[action_id]

    # A node is shown when it matches or something below it (within the shown depth) does, so the
    # filtered rows keep their axes and mesures around them.
    shown: set[str] = set()
    filtering = bool(query or statut or categorie)
    for action in referentiel.actions.values():
        if action.depth > shown_depth or (filtering and not matches(action.id)):
            continue
        current: str | None = action.id
        while current is not None and current not in shown:
            shown.add(current)
            current = referentiel.actions[current].parent
    nodes = [
        {
            "action": a,
            "scores": scores[a.id],
            "bars": bars(scores[a.id]),
            "indent": a.depth * 1.2,
            "statut": records.get(a.id),
        }
        for a in referentiel.actions.values()
        if a.id in shown
    ]
    return render(
        request,
        "pages/tree.html",
        {
            "collectivite": c,
            "referentiel": referentiel,
            "nodes": nodes,
            "q": query,
            "statut": statut,
            "categorie": categorie,
            "statut_choices": statut_choices,
            "categories": CATEGORIES,
            "level": referentiel.action_level,
            "errors": errors,
            "root_scores": scores[referentiel.id],
        },
        status=400 if errors else 200,
    )
