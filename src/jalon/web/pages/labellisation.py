"""The parcours de labellisation page: per référentiel, where the parcours stands, the label in force, the
actions the viewer may take (each a form; a refusal is shown beside its form, in French), the pilotes a
demande needs, the jalons and the comparison of two of them.

Members, the platform's staff and the auditors assigned to one of the collectivité's audits see it;
anyone else gets 404, as for every page of a collectivité. Thin: the services decide and write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from jalon.labellisation import parcours as engine
from jalon.labellisation.jalons import Comparaison, PointEvolution, comparer
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.web.collectivites.models import WRITE_ROLES, Collectivite
from jalon.web.collectivites.services import role_of
from jalon.web.errors import InputError
from jalon.web.labellisation import models, services
from jalon.web.labellisation.evolution import evolution_of, svg
from jalon.web.labellisation.services import ParcoursRefuse
from jalon.web.pages.common import loaded, user_of
from jalon.web.pages.roles import role_label
from jalon.web.statuts.services import acces_of

LIBELLES = {code: regle.libelle for code, regle in engine.TRANSITIONS.items()}
MAINTENANT = "maintenant"


def _jour(d: Any) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _etoile(n: int | None) -> str:
    return "" if n is None else engine.nom_etoile(n)


@dataclass
class Bloc:
    """What the page shows of one référentiel."""

    referentiel: Referentiel
    vue: services.Vue
    etoiles: list[tuple[int, str]]
    checklist: Any
    auditeurs: list[str]
    mesures: list[tuple[str, str]]  # id, « numéro nom » of every mesure
    notes: list[dict[str, Any]]
    jalons: list[models.Jalon]
    labels: list[str]
    avant: str  # the jalons compared, as chosen
    apres: str
    pilotes: list[dict[str, Any]]
    resume: dict[str, str]
    etoile_choisie: int
    erreurs: dict[str, dict[str, Any]]
    actions: list[dict[str, Any]] = field(default_factory=list)
    pct_fait: str = ""
    comparaison: Comparaison | None = None
    compare_error: str = ""
    evolution: tuple[PointEvolution, ...] = ()
    graphique: str = ""  # the SVG of the root score over the jalons, built escaped


def _usernames(ids: frozenset[str]) -> list[str]:
    found = User.objects.filter(pk__in=[int(i) for i in ids]).values_list("username", flat=True)
    return sorted(found)


def _line(referentiel: Referentiel, action_id: str) -> list[str]:
    """The action and the actions above it, down to its mesure."""
    line = [action_id]
    action = referentiel.actions[action_id]
    while action.parent is not None and action.depth > referentiel.action_level:
        action = referentiel.actions[action.parent]
        line.append(action.id)
    return line


def _bloc(
    c: Collectivite,
    user: Any,
    refs: Referentiels,
    referentiel: Referentiel,
    erreurs: dict[tuple[str, str], dict[str, Any]],
    avant: str,
    apres: str,
) -> Bloc:
    ref_id = referentiel.id
    vue = services.vue(c, user, ref_id)
    p = vue.parcours
    assert refs.criteres is not None
    pilotes_needed = refs.criteres.demande.pilotes.get(ref_id, ())
    named = services.pilotes_of(c)
    notes = [
        {
            "mesure": m,
            "nom": f"{referentiel.actions[m].identifiant} {referentiel.actions[m].nom}"
            if m in referentiel.actions
            else m,
            "statut": dict(models.StatutAudit.choices)[n.statut.value],
            "avis": n.avis,
            "ordre_du_jour": n.ordre_du_jour,
        }
        for m, n in p.audit.mesures.items()
    ]
    bloc = Bloc(
        referentiel=referentiel,
        vue=vue,
        etoiles=[(i, engine.nom_etoile(i)) for i in range(1, len(refs.criteres.etoiles) + 1)],
        checklist=services.checklist_of(c, ref_id, None) if p.etat is engine.Etat.NON_DEMANDEE else None,
        auditeurs=_usernames(p.audit.auditeurs),
        mesures=[
            (a.id, f"{a.identifiant} {a.nom}")
            for a in referentiel.actions.values()
            if a.depth == referentiel.action_level
        ],
        notes=notes,
        jalons=services.jalons_of(c, ref_id),
        labels=[
            f"{engine.nom_etoile(label.etoile).capitalize()} obtenue le {_jour(label.obtenu_le)}, valable "
            f"jusqu'au {_jour(label.fin_validite - timedelta(days=1))} inclus : "
            f"{_pct(float(label.pct_fait))} fait, {_pct(float(label.pct_programme))} programmé"
            for label in services.labels_of(c, ref_id)
        ],
        avant=avant,
        apres=apres,
        pilotes=[
            {
                "action_id": a,
                "nom": f"{referentiel.actions[a].identifiant} {referentiel.actions[a].nom}",
                # Its own pilotes and those of the actions above it, down to its mesure, which pilot it too.
                "pilotes": [n for b in _line(referentiel, a) for n in named.get(b, [])],
                "mesure": _line(referentiel, a)[-1],
            }
            for a in pilotes_needed
            if a in referentiel.actions
        ],
        resume=_resume(vue),
        etoile_choisie=_etoile_choisie(erreurs.get((ref_id, "demander")), p, refs),
        erreurs={code: e for (r, code), e in erreurs.items() if r == ref_id},
    )
    bloc.evolution = evolution_of(c, ref_id)
    titre = f"Score de {referentiel.nom} au fil des jalons : % fait et % programmé"
    bloc.graphique = mark_safe(svg(bloc.evolution, titre))
    if bloc.checklist is not None:
        bloc.pct_fait = _pct(100 * bloc.checklist.fait)
    for code in vue.possibles:
        bloc.actions.append({"code": code, "libelle": LIBELLES[code], "erreur": erreurs.get((ref_id, code))})
    if avant and apres:
        try:
            bloc.comparaison = comparer(_jalon(c, ref_id, avant), _jalon(c, ref_id, apres))
        except InputError as error:
            bloc.compare_error = f"{error.field} : {error.reason}"
    return bloc


def _etoile_choisie(erreur: dict[str, Any] | None, p: engine.Parcours, refs: Referentiels) -> int:
    """The star the demande form selects: the one just refused, else the highest the score allows."""
    posted = str(erreur["posted"].get("etoile", "")) if erreur else ""
    if posted.isdigit():
        return int(posted)
    if p.etat is not engine.Etat.NON_DEMANDEE:
        return 1
    return 0  # the template then takes the checklist's target


def _resume(vue: services.Vue) -> dict[str, str]:
    """The parcours in French sentences."""
    p = vue.parcours
    out = {"etat": p.etat.libelle, "cycle": str(p.cycle)}
    label = vue.en_vigueur
    if label is None:
        out["label"] = "Aucun label en vigueur."
    else:
        fin = label.fin_validite - timedelta(days=1)
        out["label"] = (
            f"{engine.nom_etoile(label.etoile).capitalize()} obtenue le {_jour(label.obtenu_le)}, "
            f"valable jusqu'au {_jour(fin)} inclus ({_pct(label.pct_fait)} fait, "
            f"{_pct(label.pct_programme)} programmé)."
        )
    d = p.demande
    if d is not None:
        quoi = "audit seul (COT)" if d.sujet is engine.Sujet.COT else f"labellisation, {_etoile(d.etoile)}"
        audit = "avec audit" if d.audit_requis else "sans audit"
        out["demande"] = f"{quoi.capitalize()}, envoyée le {_jour(d.envoyee_le)} ({audit})."
    a = p.audit
    if a.debut is not None:
        out["audit"] = f"Commencé le {_jour(a.debut)}" + (
            f", validé le {_jour(a.fin)}." if a.fin is not None else ", en cours."
        )
    if p.decision is not None:
        issue = "label accordé" if p.decision.obtenu else "label refusé"
        out["decision"] = f"Commission du {_jour(p.decision.le)} : {issue}."
    return out


def _pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + " %"


def _jalon(c: Collectivite, ref_id: str, which: str) -> Any:
    if which == MAINTENANT:
        return services.jalon_maintenant(c, ref_id)
    if not which.isdigit():
        raise InputError("jalon", f"jalon inconnu : {which!r}")
    row = services.jalon_of(c, int(which))
    if row.referentiel != ref_id:
        raise InputError("jalon", f"le jalon « {row.nom} » n'est pas du référentiel {ref_id}")
    return services.jalon_value(row)


def _act(request: HttpRequest, c: Collectivite, ref_id: str, code: str) -> str:
    """Run the action a form posted; the message to show once done. Raises what the services raise."""
    user = user_of(request)
    post = request.POST
    if code == "demander":
        sujet = post.get("sujet", "labellisation")
        etoile = post.get("etoile", "")
        if sujet == "cot":  # an audit alone asks for no star
            numero = None
        elif etoile.isdigit():
            numero = int(etoile)
        else:
            raise InputError("etoile", f"attendu un numéro d'étoile, trouvé {etoile!r}")
        services.demander(c, user, ref_id, sujet=sujet, etoile=numero, document=post.get("document", ""))
        return "Demande envoyée."
    if code == "affecter_auditeur":
        services.affecter_auditeur(c, user, ref_id, post.get("auditeur", ""))
        return "Auditeur affecté."
    if code == "retirer_auditeur":
        services.retirer_auditeur(c, user, ref_id, post.get("auditeur", ""))
        return "Auditeur retiré."
    if code == "demarrer_audit":
        services.demarrer_audit(c, user, ref_id)
        return "Audit démarré ; le jalon pré-audit est figé."
    if code == "auditer_mesure":
        services.auditer_mesure(
            c,
            user,
            ref_id,
            post.get("mesure", ""),
            post.get("statut", ""),
            post.get("avis", ""),
            post.get("ordre_du_jour") == "on",
        )
        return "Mesure auditée."
    if code == "joindre_rapport":
        services.joindre_rapport(c, user, ref_id, post.get("rapport", ""))
        return "Rapport joint."
    if code == "valider_audit":
        services.valider_audit(c, user, ref_id)
        return "Audit validé ; le jalon post-audit est figé."
    if code == "decider":
        obtenu = post.get("obtenu", "")
        if obtenu not in ("oui", "non"):
            raise InputError("obtenu", "attendu oui ou non")
        jalon = post.get("jalon", "")
        if jalon and not jalon.isdigit():
            raise InputError("jalon", f"jalon inconnu : {jalon!r}")
        services.decider(c, user, ref_id, obtenu == "oui", int(jalon) if jalon else None)
        return "Décision enregistrée."
    if code == "nouveau_cycle":
        services.nouveau_cycle(c, user, ref_id)
        return "Nouveau cycle commencé."
    if code == "figer":
        row = services.figer_jalon(c, user, ref_id, post.get("nom", ""))
        return f"Jalon « {row.nom} » figé."
    if code in ("renommer", "supprimer"):
        jalon = post.get("jalon", "")
        if not jalon.isdigit():
            raise InputError("jalon", f"jalon inconnu : {jalon!r}")
        if code == "supprimer":
            services.supprimer_jalon(c, user, int(jalon))
            return "Jalon supprimé."
        row = services.renommer_jalon(c, user, int(jalon), post.get("nom", ""))
        return f"Jalon renommé « {row.nom} »."
    if code == "pilote":
        services.nommer_pilote(c, user, post.get("action_id", ""), post.get("pilote", ""))
        return "Pilote nommé."
    raise InputError("action", f"action inconnue {code!r}")


MANQUE = " il manque : "


def _erreur(error: InputError, posted: Any) -> dict[str, Any]:
    """A refusal as shown beside its form: the sentence, and the missing items as a list when there are
    several (the sentence then stops before them); what was posted, to show it again."""
    if not isinstance(error, ParcoursRefuse):
        return {"message": f"{error.field} : {error.reason}", "manquants": (), "posted": posted}
    message, manquants = error.reason, error.manquants
    if len(manquants) > 1 and MANQUE in message:
        message = message[: message.index(MANQUE)] + MANQUE.rstrip()
    else:
        manquants = ()
    return {"message": message, "manquants": manquants, "posted": posted}


@login_required
def labellisation(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    c = Collectivite.objects.filter(pk=collectivite_id).first()
    if c is None or not services.may_see(request.user, c):
        raise Http404("collectivité introuvable")
    refs = loaded()
    if refs.criteres is None:
        raise Http404("aucun critère de labellisation dans le référentiel en service")
    erreurs: dict[tuple[str, str], dict[str, Any]] = {}
    status = 200
    if request.method == "POST":
        ref_id = request.POST.get("referentiel", "")
        code = request.POST.get("action", "")
        if ref_id not in refs.referentiels:
            return HttpResponse(f"référentiel inconnu : {ref_id!r}", status=400)
        try:
            done = _act(request, c, ref_id, code)
        except PermissionDenied as error:
            return HttpResponse(str(error) or "Action réservée à d'autres rôles.", status=403)
        except InputError as error:
            erreurs[(ref_id, code)] = _erreur(error, request.POST)
            status = 400
        else:
            messages.success(request, done)
            return redirect(reverse("labellisation", args=(c.pk,)) + f"#ref-{ref_id}")
    role = role_of(request.user, c)
    acces = acces_of(request.user, c.pk)
    request.jalon_membre = role is not None  # type: ignore[attr-defined]  # the menu (base.html)
    blocs = [
        _bloc(
            c,
            request.user,
            refs,
            r,
            erreurs,
            request.GET.get("avant", "") if request.GET.get("referentiel") == r.id else "",
            request.GET.get("apres", "") if request.GET.get("referentiel") == r.id else "",
        )
        for r in refs.referentiels.values()
        if r.id in refs.criteres.criteres or refs.criteres.demande.pilotes.get(r.id)
    ]
    return render(
        request,
        "pages/labellisation.html",
        {
            "collectivite": c,
            "role": role_label(role)
            if role
            else ("Équipe de la plateforme" if request.user.is_staff else "Auditeur"),
            "editeur": role in WRITE_ROLES,
            "blocs": blocs,
            # The référentiels whose audit archive the person may download (preuves/archive.py).
            "archives": [r for r in refs.referentiels if acces is not None and acces.voit(r)],
            "statuts_audit": models.StatutAudit.choices,
            "maintenant": MAINTENANT,
        },
        status=status,
    )
