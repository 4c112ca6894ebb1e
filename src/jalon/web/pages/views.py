"""Server-rendered pages in French. Thin: permissions, then the services, then a template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.views import serve
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from jalon.labellisation.etoiles import etoile
from jalon.referentiel.model import CATEGORIES, Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write, collectivites_of
from jalon.web.pages.common import bar_html, bars, entier, loaded, member, nombre, percent
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, StatutRecord

NON_RENSEIGNE = "non_renseigne"


def static(request: HttpRequest, path: str) -> FileResponse:
    """htmx and the admin's files, found by the staticfiles finders: `jalon serve` has no front server
    and DEBUG is off, so nothing else serves them. A path out of the static folders is a 404."""
    try:
        return serve(request, path, insecure=True)
    except SuspiciousFileOperation:
        raise Http404("fichier introuvable") from None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html", {"collectivites": collectivites_of(request.user)})


@dataclass(frozen=True)
class AxeBar:
    """One line of the per-axe chart: the axe's full label (wrapped by the page, never cut), its bar."""

    identifiant: str
    nom: str
    fait: float
    programme: float
    bars: dict[str, float]


def _axes(referentiel: Referentiel, scores: dict[str, Any]) -> list[AxeBar]:
    out = []
    for axe_id in referentiel.root.children:
        axe = referentiel.actions[axe_id]
        b = bars(scores[axe_id])
        out.append(AxeBar(axe.identifiant, axe.nom, b["fait"], b["programme"], b))
    return out


def forts_et_faibles(axes: list[AxeBar]) -> tuple[list[AxeBar], list[AxeBar]]:
    """The two strongest and the two weakest axes by % fait; none when all axes are level (e.g. all
    at 0 %), where naming some as strengths would mean nothing."""
    if len(axes) < 2 or len({a.fait for a in axes}) == 1:
        return [], []
    ranked = sorted(axes, key=lambda a: a.fait)
    return list(reversed(ranked[-2:])), ranked[:2]


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
        forts, faibles = forts_et_faibles(axes)
        rows.append(
            {
                "referentiel": referentiel,
                "scores": s,
                "bars": bars(s),
                "etoile": star,
                "points_manquants": missing,
                "axes": axes,
                "forts": forts,
                "faibles": faibles,
                "completude": percent(s["completed_taches_count"], s["total_taches_count"]),
            }
        )
    return render(
        request,
        "pages/dashboard.html",
        {
            "collectivite": c,
            "population": entier(c.population),
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


STATUT_LABELS = {**dict(Avancement.choices), NON_RENSEIGNE: "Non renseigné"}


def _tree_rows(
    c: Collectivite,
    referentiel: Referentiel,
    scores: dict[str, Any],
    records: dict[str, StatutRecord],
    shown: set[str],
) -> list[dict[str, Any]]:
    """The rows of the tree, every value already a string: ~400 rows render several times faster than
    with per-row lookups, number localisation, ``{% url %}`` and an included bar template."""
    # One reverse() for every link: the action id is the last segment of the mesure URL.
    url_prefix = reverse("mesure", args=(c.pk, "X"))[:-2]
    with_taches = {
        referentiel.actions[a].parent for a in records if a in referentiel.actions
    }  # sous-mesures statued by their tâches
    rows = []
    # Depth first, as a tree is read; a node not shown hides its subtree (``shown`` holds every ancestor).
    stack = [referentiel.id]
    while stack:
        action_id = stack.pop()
        if action_id not in shown:
            continue
        a = referentiel.actions[action_id]
        stack.extend(reversed(a.children))
        s = scores[a.id]
        record = records.get(a.id)
        statut = record.avancement if record else None
        if statut is None and a.depth > referentiel.action_level and a.id not in with_taches:
            statut = NON_RENSEIGNE
        rows.append(
            {
                "id": a.id,
                "depth": a.depth,
                "label": f"{a.identifiant} {a.nom}".strip(),
                "url": f"{url_prefix}{a.id}/" if a.depth >= referentiel.action_level else "",
                "indent": f"{a.depth * 1.2:.1f}",
                "desactive": bool(s["desactive"]),
                "categorie": a.categorie or "",
                "points": f"{nombre(s['point_fait'])} / {nombre(s['point_potentiel'])}",
                "bar": bar_html(bars(s)),
                "statut": statut,
                "statut_label": STATUT_LABELS.get(statut, "") if statut else "",
                "par_taches": a.id in with_taches and record is None,
            }
        )
    return rows


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
    nodes = _tree_rows(c, referentiel, scores, records, shown)
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
