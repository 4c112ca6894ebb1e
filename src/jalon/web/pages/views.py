"""Server-rendered pages in French. Thin: permissions, then the services, then a template."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jalon.labellisation.etoiles import etoile
from jalon.referentiel.model import Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write, collectivites_of, role_of
from jalon.web.referentiels.services import current_version, loaded_version
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, Explication, StatutRecord
from jalon.web.statuts.services import InputError


def _member(request: HttpRequest, collectivite_id: int) -> tuple[Collectivite, str]:
    collectivite = Collectivite.objects.filter(pk=collectivite_id).first()
    role = role_of(request.user, collectivite) if collectivite else None
    if collectivite is None or role is None:
        raise Http404("collectivité introuvable")
    return collectivite, role


def _referentiels() -> dict[str, Referentiel]:
    version = current_version()
    if version is None:
        raise Http404("aucun référentiel importé")
    return dict(loaded_version(version).referentiels)


def _percent(part: Any, whole: Any) -> float:
    return round(100 * float(part or 0) / float(whole), 1) if whole else 0.0


def _bars(s: dict[str, Any]) -> dict[str, float]:
    pot = s["point_potentiel"]
    return {
        "fait": _percent(s["point_fait"], pot),
        "programme": _percent(s["point_programme"], pot),
        "pas_fait": _percent(s["point_pas_fait"], pot),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html", {"collectivites": collectivites_of(request.user)})


@login_required
def dashboard(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    c, role = _member(request, collectivite_id)
    rows = []
    for ref_id, referentiel in _referentiels().items():
        s = services.scores(c, ref_id)[ref_id]
        star = etoile(float(s["point_fait"] or 0), float(s["point_potentiel"] or 0))
        rows.append({"referentiel": referentiel, "scores": s, "bars": _bars(s), "etoile": star})
    return render(request, "pages/dashboard.html", {"collectivite": c, "role": role, "rows": rows})


@login_required
def tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> HttpResponse:
    c, _role = _member(request, collectivite_id)
    referentiel = _referentiels().get(referentiel_id)
    if referentiel is None:
        raise Http404("référentiel inconnu")
    scores = services.scores(c, referentiel_id)
    query = request.GET.get("q", "").strip().lower()
    nodes = [
        {"action": a, "scores": scores[a.id], "bars": _bars(scores[a.id]), "indent": a.depth * 1.2}
        for a in referentiel.actions.values()
        if a.depth <= referentiel.action_level + 1 and (not query or query in a.nom.lower() or query in a.id)
    ]
    return render(
        request,
        "pages/tree.html",
        {
            "collectivite": c,
            "referentiel": referentiel,
            "nodes": nodes,
            "q": query,
            "level": referentiel.action_level,
        },
    )


@login_required
def mesure(request: HttpRequest, collectivite_id: int, action_id: str) -> HttpResponse:
    c, role = _member(request, collectivite_id)
    referentiel = next((r for r in _referentiels().values() if action_id in r.actions), None)
    if referentiel is None:
        raise Http404("action inconnue")
    error = None
    if request.method == "POST":
        if not can_write(role):
            return HttpResponse("Votre rôle ne permet pas de modifier.", status=403)
        user = request.user
        assert isinstance(user, User)
        target = request.POST.get("action_id", "")
        try:
            if "texte" in request.POST:
                services.set_explication(c, user, target, request.POST["texte"])
            else:
                detaille = None
                if request.POST.get("avancement") == Avancement.DETAILLE:
                    try:
                        detaille = [int(request.POST.get(k, "")) for k in ("fait", "programme", "pas_fait")]
                    except ValueError:
                        raise InputError("detaille", "les pourcentages sont des nombres entiers") from None
                services.set_statut(c, user, target, request.POST.get("avancement"), detaille)
            return redirect("mesure", collectivite_id=c.pk, action_id=action_id)
        except InputError as e:
            error = f"{e.field} : {e.reason}"
    action = referentiel.actions[action_id]
    scores = services.scores(c, referentiel.id)
    statuts = {
        r.action_id: r for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel.id)
    }
    explications = {e.action_id: e.texte for e in Explication.objects.filter(collectivite=c)}
    subtree = []
    stack = [action_id]
    while stack:
        current = referentiel.actions[stack.pop()]
        subtree.append(
            {
                "action": current,
                "scores": scores[current.id],
                "bars": _bars(scores[current.id]),
                "statut": statuts.get(current.id),
                "explication": explications.get(current.id, ""),
                "editable": can_write(role)
                and current.depth > referentiel.action_level
                and not scores[current.id]["desactive"],
                "indent": (current.depth - action.depth) * 1.5,
            }
        )
        stack.extend(reversed(current.children))
    return render(
        request,
        "pages/mesure.html",
        {
            "collectivite": c,
            "referentiel": referentiel,
            "action": action,
            "nodes": subtree,
            "error": error,
            "avancements": Avancement.choices,
            "can_write": can_write(role),
        },
        status=400 if error else 200,
    )
