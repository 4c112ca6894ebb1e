"""The mesure page: texts, sous-mesures and tâches with statut controls (htmx), explications,
discussions, points before / after personnalisation, the pilotes and services of the mesure and its
sous-mesures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from jalon.referentiel.model import Action, Preuve, Referentiel, Referentiels
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write
from jalon.web.discussions.services import discussions_of
from jalon.web.errors import InputError, Locked
from jalon.web.labellisation import pilotes
from jalon.web.pages import preuves_block
from jalon.web.pages.common import (
    PREREQUIS,
    acces,
    bars,
    is_htmx,
    loaded,
    markdown,
    mesure_of,
    nombre,
    preorder,
    prerequis_of,
    referentiel_of,
    sections,
    user_of,
)
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, Explication, StatutRecord

# The three % of « Détaillé », as the row's fields name them.
PCT_FIELDS = (("fait", "% fait"), ("programme", "% programmé"), ("pas_fait", "% pas fait"))
FIELD_LABELS = {
    "action_id": "Action",
    "avancement": "Statut",
    "texte": "Explication",
    "membre": "Membre",
    "nom": "Nom",
    "email": "E-mail",
    "pilote": "Pilote",
    "service": "Service",
    "pilotage": "Pilotes et services",
}


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


PILOTAGE_DONE = {
    "ajouter_pilote": "Pilote ajouté.",
    "retirer_pilote": "Pilote retiré.",
    "ajouter_service": "Service ajouté.",
    "retirer_service": "Service retiré.",
}


def _pilotage_targets(referentiel: Referentiel, action: Action) -> list[Action]:
    """What pilotes and services go on from this page: the mesure and its sous-mesures."""
    return [action, *(referentiel.actions[i] for i in action.children)]


def _pilotage(request: HttpRequest, c: Collectivite, targets: list[str]) -> str:
    """Apply a POST of the « Pilotes et services » block; returns its code (``PILOTAGE_DONE``)."""
    post = request.POST
    code = post.get("pilotage", "")
    user = user_of(request)
    if code in ("ajouter_pilote", "ajouter_service", "retirer_service"):
        target = post.get("action_id", "")
        if target not in targets:
            raise InputError("action_id", f"{target!r} n'est pas cette mesure ni une de ses sous-mesures")
        if code == "ajouter_pilote":
            pilotes.ajouter_pilote(
                c,
                user,
                target,
                membre=post.get("membre"),
                nom=post.get("nom", ""),
                email=post.get("email", ""),
            )
        elif code == "ajouter_service":
            pilotes.ajouter_service(
                c, user, target, service_id=post.get("service"), nouveau=post.get("nouveau", "")
            )
        else:
            pilotes.retirer_service(c, user, target, post.get("service", ""))
    elif code == "retirer_pilote":
        ours = {str(p.id) for found in pilotes.pilotes_by_action(c, targets).values() for p in found}
        if post.get("pilote", "") not in ours:
            raise InputError("pilote", f"pilote inconnu sur cette mesure : {post.get('pilote', '')[:40]!r}")
        pilotes.retirer_pilote(c, user, post["pilote"])
    else:
        raise InputError("pilotage", f"opération inconnue {code[:40]!r}")
    return code


def _pilotage_context(
    c: Collectivite, referentiel: Referentiel, action: Action, writer: bool
) -> dict[str, Any]:
    targets = _pilotage_targets(referentiel, action)
    ids = [t.id for t in targets]
    by_action = pilotes.pilotes_by_action(c, ids)
    services_on = pilotes.services_by_action(c, ids)
    return {
        "rows": [
            {
                "action": t,
                "label": f"{_kind(referentiel, t)} {t.identifiant}",
                "pilotes": by_action.get(t.id, []),
                "services": services_on.get(t.id, []),
            }
            for t in targets
        ],
        "targets": [(t.id, f"{_kind(referentiel, t).capitalize()} {t.identifiant} {t.nom}") for t in targets],
        "membres": [(u.pk, pilotes.display_name(u)) for u in pilotes.membres_of(c)] if writer else [],
        "services": pilotes.services_of(c) if writer else [],
    }


KINDS = ("mesure", "sous-mesure", "tâche")


def _kind(referentiel: Referentiel, action: Action) -> str:
    return KINDS[min(max(action.depth - referentiel.action_level, 0), len(KINDS) - 1)]


def _named(referentiel: Referentiel, action: Action) -> str:
    return f"{_kind(referentiel, action)} {action.identifiant}"


def _decided_by(referentiel: Referentiel, action: Action, statuts: Mapping[str, StatutRecord]) -> str | None:
    """Why a tâche's own statut does not count: its sous-mesure has a statut of its own, which the score
    takes instead of the tâches' (SCORING-SPEC §2.4, phase 5)."""
    if action.depth <= referentiel.action_level + 1 or action.parent is None:
        return None
    parent = statuts.get(action.parent)
    if parent is None:
        return None
    sous_mesure = referentiel.actions[action.parent]
    return (
        f"Le statut de la sous-mesure {sous_mesure.identifiant} ({parent.get_avancement_display()}) "
        "s'applique"
    )


def _factor(referentiel: Referentiel, scores: Mapping[str, Mapping[str, Any]], action: Action) -> float:
    """The product of the personnalisation's reduction factors that apply to an action (its own rule's
    and its ancestors'): read on the nearest node with a ``point_potentiel_perso`` (SCORING-SPEC §2.3).
    Only down to the mesure: the rules are on mesures and below, and a « score » rule gives the axe and
    the root a ``point_potentiel_perso`` that is no factor (§2.4, phase 6)."""
    node: Action | None = action
    while node is not None and node.depth >= referentiel.action_level:
        s = scores[node.id]
        perso, ref = s["point_potentiel_perso"], s["point_referentiel"]
        if perso is not None and ref and not s["desactive"]:
            return float(perso) / float(ref)
        node = referentiel.actions[node.parent] if node.parent is not None else None
    return 1.0


def _own_rule(referentiel: Referentiel, scores: Mapping[str, Mapping[str, Any]], action: Action) -> bool:
    """Whether a rule of the action's own changes its points (beyond its ancestors' rules): its
    personalised points differ from what its parent's factor gives, by more than the rounding of the
    scores to 3 decimals."""
    above = referentiel.actions[action.parent] if action.parent is not None else None
    ref = float(scores[action.id]["point_referentiel"])
    inherited = _factor(referentiel, scores, above) if above is not None else 1.0
    return abs(ref * _factor(referentiel, scores, action) - ref * inherited) >= 0.0015


def _times(factor: float) -> str:
    return f"× {nombre(round(factor, 3))}"


def _points_change(
    referentiel: Referentiel,
    action: Action,
    scores: Mapping[str, Mapping[str, Any]],
    statuts: Mapping[str, StatutRecord],
) -> str | None:
    """Why an action's potentiel differs from its points in the référentiel, as far as the scores and
    the statuts tell apart (SCORING-SPEC §2.3-2.4): désactivée by a personnalisation rule, non concernée
    by the collectivité's statut (its own, an ancestor's, or all its children's), reduced by a rule (its
    own or an ancestor's), given a share of a non concernée sibling's points, or rescaled with a parent
    whose potentiel is the sum of its children. None when unchanged."""
    s = scores[action.id]
    if s["point_potentiel"] == s["point_referentiel"]:
        return None
    actions = referentiel.actions
    line = [action]  # the action and its ancestors down to the mesure
    while line[-1].parent is not None and line[-1].depth > referentiel.action_level:
        line.append(actions[line[-1].parent])

    def who(node: Action) -> str:
        return "" if node is action else f"sa {_named(referentiel, node)} "

    if s["desactive"]:
        top = action
        while top.parent is not None and scores[top.parent]["desactive"]:
            top = actions[top.parent]
        return f"{who(top)}désactivée par une règle de personnalisation"
    for node in line:
        record = statuts.get(node.id)
        if record is not None and record.avancement == Avancement.NON_CONCERNE:
            return f"{who(node)}non concernée (statut de la collectivité)"
    if not s["concerne"]:
        children = "sous-mesures" if action.depth == referentiel.action_level else "tâches"
        return f"non concernée : toutes ses {children} le sont"
    causes = []
    above = actions[action.parent] if action.parent is not None else None
    own = _factor(referentiel, scores, action) / (_factor(referentiel, scores, above) if above else 1.0)
    if _own_rule(referentiel, scores, action):
        how = "réduite" if own < 1 else "augmentée"
        causes.append(f"{how} par une règle de personnalisation ({_times(own)})")
    if above is not None and action.depth > referentiel.action_level:
        parent = scores[above.id]
        personalised = float(parent["point_referentiel"]) * _factor(referentiel, scores, above)
        # The official engine multiplies the children of a node whose potentiel is not its personalised
        # points by their ratio (phase 4); a share of a sibling's points comes on top.
        rescale = float(parent["point_potentiel"]) / personalised if personalised else 1.0
        expected = float(s["point_referentiel"]) * _factor(referentiel, scores, action) * rescale
        gone = [
            actions[i].identifiant for i in above.children if i != action.id and not scores[i]["concerne"]
        ]
        if gone and float(s["point_potentiel"]) - expected >= 0.0015:  # beyond rounding
            plural = "s" if len(gone) > 1 else ""
            causes.append(
                f"reçoit une part des points de {', '.join(gone)}, "
                f"non concernée{plural} ou désactivée{plural}"
            )
        if parent["point_potentiel"] != parent["point_referentiel"]:
            # The parent's row says why, or, for the mesure, which is the first row, this one does.
            if above.depth > referentiel.action_level:
                causes.append(f"comme sa {_named(referentiel, above)} (voir sa ligne)")
            elif abs(float(parent["point_potentiel"]) - personalised) >= 0.0015:
                causes.append(
                    f"sa {_named(referentiel, above)} passe à {nombre(parent['point_potentiel'])} points, "
                    f"répartis au prorata ({_times(rescale)})"
                )
    if not causes:
        # Scored from its children: say which of them changed for a reason of their own.
        children = "sous-mesures" if action.depth == referentiel.action_level else "tâches"
        changed = [
            actions[i].identifiant
            for i in action.children
            if not scores[i]["concerne"] or _own_rule(referentiel, scores, actions[i])
        ]
        causes.append(
            f"somme de ses {children}" + (f" ({', '.join(changed)} : voir leur ligne)" if changed else "")
        )
    return " ; ".join(causes)


def _preuves_by_action(referentiels: Referentiels) -> dict[str, list[Preuve]]:
    by_action: dict[str, list[Preuve]] = {}
    for preuve in referentiels.preuves:
        for action_id in preuve.action_ids:
            by_action.setdefault(action_id, []).append(preuve)
    return by_action


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
    writer: bool,
    referentiel: Referentiel,
    action_id: str,
    error: str | None,
    error_at: str = "",
    posted: Mapping[str, str] | None = None,
    verrou: str | None = None,
) -> dict[str, Any]:
    """What the part of the page that a statut write changes shows: the rows and the scores. ``posted``:
    the refused write's fields, shown again on its row (``error_at``). ``writer``: the caller may change
    this référentiel's statuts and explications (``Acces.ecrit``). ``verrou``: why the référentiel
    is locked against this member (an audit en cours): their controls are shown disabled, with it."""
    action = referentiel.actions[action_id]
    scores = services.scores(c, referentiel.id)
    statuts = {
        r.action_id: r for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel.id)
    }
    subtree_ids = preorder(referentiel, action_id)
    explications = {
        e.action_id: e.texte for e in Explication.objects.filter(collectivite=c, action_id__in=subtree_ids)
    }
    refused_statut = posted if posted is not None and "texte" not in posted else None
    refused_texte = posted.get("texte") if posted is not None and "texte" in posted else None
    preuves = _preuves_by_action(loaded())
    nodes = []
    for node_id in subtree_ids:
        node = referentiel.actions[node_id]
        s = scores[node_id]
        statut = statuts.get(node_id)
        below = node.depth > referentiel.action_level  # a sous-mesure or a tâche
        refused_here = bool(error) and node_id == error_at and below
        explication = explications.get(node_id, "")
        prerequis = prerequis_of(referentiel, node)
        # A sous-mesure scored from its tâches: its control says « Par tâches », not « Non renseigné ».
        par_taches = node.depth == referentiel.action_level + 1 and any(c in statuts for c in node.children)
        decided_by = _decided_by(referentiel, node, statuts)
        nodes.append(
            {
                "action": node,
                "scores": s,
                "bars": bars(s),
                "points": f"{nombre(s['point_fait'])} / {nombre(s['point_potentiel'])}",
                "statut": statut,
                "statut_class": statut.avancement
                if statut
                else "par_taches"
                if par_taches
                else "non_renseigne",
                "par_taches": par_taches,
                "decided_by": decided_by,
                "prerequis": prerequis is not None,
                "prerequis_note": PREREQUIS
                if prerequis is node
                else f"Prérequis réglementaire du label (sous-mesure {prerequis.identifiant})"
                if prerequis is not None
                else "",
                "points_change": _points_change(referentiel, node, scores, statuts),
                "preuves": [(p.nom, markdown(p.description)) for p in preuves.get(node_id, [])],
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
        "verrou": verrou,
        "mesure_scores": s,
        "mesure_bars": bars(s),
        "root_scores": scores[referentiel.id],
        "root_bars": bars(scores[referentiel.id]),
        # Points in the référentiel and the potentiel, and why they differ.
        "perso_changed": s["point_potentiel"] != s["point_referentiel"],
        "mesure_change": _points_change(referentiel, action, scores, statuts),
        # The mesure's own explication form is further down the page (refused: what was typed).
        "explication_refused": error_at == action_id and refused_texte is not None,
        "explication": refused_texte
        if error_at == action_id and refused_texte is not None
        else explications.get(action_id, ""),
        "subtree_ids": subtree_ids,
    }


@login_required
def mesure(request: HttpRequest, collectivite_id: int, action_id: str) -> HttpResponse:
    a = acces(request, collectivite_id)
    c, role = a.collectivite, a.role
    referentiel = referentiel_of(action_id)
    if not a.voit(referentiel.id):  # an auditor who is not a member: the audited référentiels only
        raise Http404("collectivité introuvable")
    writer = a.ecrit([referentiel.id])
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
    pilotage_error = ""
    locked = False
    # Pilotes and services are the members' (an auditor changes statuts and explications only).
    membre_post = "pilotage" in request.POST or "preuves" in request.POST
    if request.method == "POST" and not (can_write(role) if membre_post else writer):
        return HttpResponse("Votre rôle ne permet pas de modifier.", status=403)
    preuves_error = ""
    if request.method == "POST" and "preuves" in request.POST:
        try:
            messages.success(request, preuves_block.post(request, c, referentiel, action_id))
            return redirect(f"{request.path}#preuves")
        except InputError as e:
            preuves_error = _message(e)
    elif request.method == "POST" and "pilotage" in request.POST:
        targets = [t.id for t in _pilotage_targets(referentiel, action)]
        try:
            messages.success(request, PILOTAGE_DONE[_pilotage(request, c, targets)])
            return redirect(f"{request.path}#pilotes")
        except InputError as e:
            pilotage_error = _message(e)
    elif request.method == "POST":
        try:
            target = _write(request, c, preorder(referentiel, action_id))
            if not is_htmx(request):
                return redirect(f"{request.path}#row-{target}")
        except InputError as e:
            error = _message(e)
            target = request.POST.get("action_id", "")
            posted = request.POST
        except Locked as e:
            # Locked since the page was shown (an audit started): the page again, with the reason
            # above the controls, now disabled; htmx swaps it in place like any refusal.
            error, target, locked = e.reason, "", True
    verrou = services.motif_verrou(services.verrous_of(c), user_of(request).pk, [referentiel.id])
    context = _live_context(c, writer, referentiel, action_id, error, target, posted, verrou)
    status = 403 if locked else 400 if error or pilotage_error or preuves_error else 200
    if is_htmx(request):
        # Only the rows and the scores: htmx swaps them in place (errors included, see base.html).
        return render(request, "pages/mesure_live.html", context, status=status)
    context.update(
        {
            "sections": sections(action.sections),
            "discussions": discussions_of(c, set(context["subtree_ids"])),
            "discussion_targets": [n["action"] for n in context["nodes"]],
            "pilotage": _pilotage_context(c, referentiel, action, can_write(role)),
            "membre_ecrit": can_write(role),  # pilotes, services and discussions
            "pilotage_error": pilotage_error,
            "pilotage_posted": request.POST if pilotage_error else {},
            "bibliotheque": preuves_block.context(request, c, referentiel, action_id),
            "preuves_error": preuves_error,
        }
    )
    return render(request, "pages/mesure.html", context, status=status)
