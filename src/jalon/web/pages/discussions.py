"""The collectivité's discussions: the list of every thread, and the forms of the mesure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write
from jalon.web.discussions import services
from jalon.web.discussions.models import Etat
from jalon.web.errors import InputError
from jalon.web.pages.common import loaded, member, mesure_of, user_of


def action_label(action_id: str) -> str:
    """An action as people name it, « 6.1.1.3.2 Nom de la tâche »; the id itself when the current
    référentiels do not know it (a discussion outlives a renamed action)."""
    ref = loaded().referentiel_of(action_id)
    action = ref.actions[action_id] if ref is not None else None
    return action_id if action is None else f"{action.identifiant} {action.nom}".strip()


def _back(request: HttpRequest, c: Collectivite) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect((target or f"/c/{c.pk}/discussions/") + "#discussions-titre")


def _list(request: HttpRequest, c: Collectivite, role: str, error: str | None = None) -> HttpResponse:
    etat = request.GET.get("etat", "")
    if etat not in ("", *Etat.values):
        error, etat = f"etat : valeur inconnue {etat!r}", ""
    refs = loaded()
    found = services.discussions_of(c, etat=etat or None)
    mesures = {}
    for d in found:
        ref = refs.referentiel_of(d.action_id)
        if ref is not None:
            mesures[d.pk] = mesure_of(ref, d.action_id)
    return render(
        request,
        "pages/discussions.html",
        {
            "collectivite": c,
            "discussions": [(d, mesures.get(d.pk)) for d in found],
            "etat": etat,
            "etats": Etat.choices,
            "error": error,
            "can_write": can_write(role),
        },
        status=400 if error else 200,
    )


@login_required
def discussions(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    """GET: every thread, filterable by état; POST: open a thread on an action."""
    c, role = member(request, collectivite_id)
    if request.method == "POST":
        if not can_write(role):
            return HttpResponse("Votre rôle ne permet pas d'ouvrir une discussion.", status=403)
        try:
            services.open_discussion(
                c, user_of(request), request.POST.get("action_id", ""), request.POST.get("texte", "")
            )
        except InputError as e:
            return _list(request, c, role, f"{e.field} : {e.reason}")
        return _back(request, c)
    return _list(request, c, role)


@login_required
def discussion(request: HttpRequest, collectivite_id: int, discussion_id: int) -> HttpResponse:
    """POST: comment, close or reopen a thread."""
    c, role = member(request, collectivite_id)
    found = services.find(c, discussion_id)
    if found is None:
        raise Http404("discussion introuvable")
    if request.method != "POST":
        return redirect("discussions", collectivite_id=c.pk)
    if not can_write(role):
        return HttpResponse("Votre rôle ne permet pas d'écrire dans une discussion.", status=403)
    do = request.POST.get("do", "commenter")
    try:
        if do == "commenter":
            services.comment(found, user_of(request), request.POST.get("texte", ""))
        elif do in ("fermer", "rouvrir"):
            etat = Etat.FERMEE if do == "fermer" else Etat.OUVERTE
            services.set_etat(found, etat, user_of(request), request.POST.get("texte", ""))
        else:
            raise InputError("do", f"opération inconnue {do!r}")
    except InputError as e:
        return _list(request, c, role, f"{e.field} : {e.reason}")
    return _back(request, c)
