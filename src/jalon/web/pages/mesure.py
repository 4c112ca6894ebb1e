"""The mesure page: texts, sous-mesures and tâches with statut controls (htmx), explications,
discussions, points before / after personnalisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from jalon.referentiel.model import Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write
from jalon.web.discussions.services import discussions_of
from jalon.web.pages.common import (
    bars,
    is_htmx,
    member,
    mesure_of,
    nombre,
    preorder,
    referentiel_of,
    sections,
    user_of,
)
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, Explication, StatutRecord
from jalon.web.statuts.services import InputError

# The three % of « Détaillé », as the row's fields name them.
PCT_FIELDS = (("fait", "% fait"), ("programme", "% programmé"), ("pas_fait", "% pas fait"))
FIELD_LABELS = {"action_id": "Action", "avancement": "Statut", "texte": "Explication"}


def _detaille(request: HttpRequest) -> list[int] | None:
    """The three % of a « Détaillé » statut, checked here to say what is wrong in the row's words (an
    empty field counts as 0). Raises InputError with a full French sentence."""
    if request.POST.get("avancement") != Avancement.DETAILLE:
        return None
    values = []
    for key, label in PCT_FIELDS:
        raw = request.POST.get(key, "").strip()
        try:
            value = int(raw or "0")
        except ValueError:
            raise InputError(
                "detaille", f"Les pourcentages sont des nombres entiers : « {raw} » ne l'est pas ({label})."
            ) from None
        if not 0 <= value <= 100 or value % 5:
            raise InputError(
                "detaille", f"Chaque pourcentage est un multiple de 5 entre 0 et 100 : {label} vaut {value}."
            )
        values.append(value)
    if sum(values) != 100:
        raise InputError(
            "detaille", f"Les trois pourcentages doivent faire 100 au total (ici {sum(values)})."
        )
    return values


def _message(error: InputError) -> str:
    if error.field == "detaille":
        return error.reason  # already a sentence (above)
    return f"{FIELD_LABELS.get(error.field, error.field)} : {error.reason}"


def _write(request: HttpRequest, c: Collectivite, subtree: list[str]) -> str:
    """Apply a POST (a statut or an explication, of the mesure or of any action below it); returns the
    action it changed."""
    target = request.POST.get("action_id", "")
    if target not in subtree:
        raise InputError("action_id", f"{target!r} n'est pas une action de cette mesure")
    if "texte" in request.POST:
        services.set_explication(c, user_of(request), target, request.POST["texte"])
    else:
        services.set_statut(c, user_of(request), target, request.POST.get("avancement"), _detaille(request))
    return target


def _shown_statut(statut: StatutRecord | None, posted: Mapping[str, str] | None) -> dict[str, str]:
    """What a row's statut control shows: what was just typed when it was refused (kept, not lost),
    else what is saved."""
    if posted is not None:
        return {k: posted.get(k, "") for k in ("avancement", "fait", "programme", "pas_fait")}
    if statut is None:
        return {"avancement": "non_renseigne", "fait": "", "programme": "", "pas_fait": ""}
    pcts = (statut.pourcentage_fait, statut.pourcentage_programme, statut.pourcentage_pas_fait)
    return {
        "avancement": statut.avancement,
        **{k: "" if v is None else str(v) for (k, _), v in zip(PCT_FIELDS, pcts, strict=True)},
    }


def _live_context(
    c: Collectivite,
    role: str,
    referentiel: Referentiel,
    action_id: str,
    error: str | None,
    error_at: str = "",
    posted: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the part of the page that a statut write changes shows: the rows and the scores. ``posted``:
    the refused write's fields, shown again on its row (``error_at``)."""
    action = referentiel.actions[action_id]
    scores = services.scores(c, referentiel.id)
    statuts = {
        r.action_id: r for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel.id)
    }
    subtree_ids = preorder(referentiel, action_id)
    explications = {
        e.action_id: e.texte for e in Explication.objects.filter(collectivite=c, action_id__in=subtree_ids)
    }
    writer = can_write(role)
    refused_statut = posted if posted is not None and "texte" not in posted else None
    refused_texte = posted.get("texte") if posted is not None and "texte" in posted else None
    nodes = []
    for node_id in subtree_ids:
        node = referentiel.actions[node_id]
        s = scores[node_id]
        statut = statuts.get(node_id)
        below = node.depth > referentiel.action_level  # a sous-mesure or a tâche
        refused_here = bool(error) and node_id == error_at and below
        explication = explications.get(node_id, "")
        nodes.append(
            {
                "action": node,
                "scores": s,
                "bars": bars(s),
                "points": f"{nombre(s['point_fait'])} / {nombre(s['point_potentiel'])}",
                "statut": statut,
                "statut_class": statut.avancement if statut else "non_renseigne",
                "shown": _shown_statut(statut, refused_statut if refused_here else None),
                "explication": explication,
                "explication_shown": refused_texte
                if refused_here and refused_texte is not None
                else explication,
                # A refused write's values are on the page but not saved: the page says so.
                "statut_unsaved": refused_here and refused_statut is not None,
                "explication_unsaved": refused_here and refused_texte is not None,
                "editable": writer and below and not s["desactive"],
                # An explication is text, not a statut: allowed on a désactivé action too.
                "explicable": writer and below,
                # A rejected write's message is shown on the row it was about.
                "error": error if refused_here else None,
                "indent": (node.depth - action.depth) * 1.5,
                "description": sections({"description": node.sections.get("description", "")})
                if node_id != action_id
                else [],
            }
        )
    s = scores[action_id]
    return {
        "collectivite": c,
        "referentiel": referentiel,
        "action": action,
        "nodes": nodes,
        # Shown at the top unless a row shows it.
        "error": None if any(n["error"] for n in nodes) else error,
        "avancements": Avancement.choices,
        "can_write": writer,
        "mesure_scores": s,
        "mesure_bars": bars(s),
        "root_scores": scores[referentiel.id],
        "root_bars": bars(scores[referentiel.id]),
        # Points before personnalisation (the référentiel's) and after it (the potentiel).
        "perso_changed": s["point_potentiel"] != s["point_referentiel"],
        # The mesure's own explication form is further down the page (refused: what was typed).
        "explication_refused": error_at == action_id and refused_texte is not None,
        "explication": refused_texte
        if error_at == action_id and refused_texte is not None
        else explications.get(action_id, ""),
        "subtree_ids": subtree_ids,
    }


@login_required
def mesure(request: HttpRequest, collectivite_id: int, action_id: str) -> HttpResponse:
    c, role = member(request, collectivite_id)
    referentiel = referentiel_of(action_id)
    action = referentiel.actions[action_id]
    if action.depth < referentiel.action_level:
        raise Http404("ce n'est pas une mesure")
    if action.depth > referentiel.action_level:
        # A sous-mesure or a tâche is shown on its mesure's page, at its row.
        url = reverse("mesure", args=(c.pk, mesure_of(referentiel, action_id)))
        return redirect(f"{url}#row-{action_id}")
    error = None
    target = ""
    posted: Mapping[str, str] | None = None
    if request.method == "POST":
        if not can_write(role):
            return HttpResponse("Votre rôle ne permet pas de modifier.", status=403)
        try:
            target = _write(request, c, preorder(referentiel, action_id))
            if not is_htmx(request):
                return redirect(f"{request.path}#row-{target}")
        except InputError as e:
            error = _message(e)
            target = request.POST.get("action_id", "")
            posted = request.POST
    context = _live_context(c, role, referentiel, action_id, error, target, posted)
    status = 400 if error else 200
    if is_htmx(request):
        # Only the rows and the scores: htmx swaps them in place (errors included, see base.html).
        return render(request, "pages/mesure_live.html", context, status=status)
    context.update(
        {
            "sections": sections(action.sections),
            "discussions": discussions_of(c, set(context["subtree_ids"])),
            "discussion_targets": [n["action"] for n in context["nodes"]],
        }
    )
    return render(request, "pages/mesure.html", context, status=status)
