"""JSON API of the parcours de labellisation and of the jalons, mounted by ``jalon.web.api``.

Who sees: the collectivité's members, the platform's staff and the auditors assigned to one of its
current audits (as the page); anyone else gets 404. Every transition is a POST that calls the services:
the engine's refusal for a role is a 403, any other refusal a 422 whose ``detail`` gives the French
reason and whose ``manquants`` lists what is missing; a refusal writes nothing. The answer of a
transition is the parcours as the caller now sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Literal, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Status
from pydantic import StrictBool, StrictInt, StrictStr

from jalon.labellisation import jalons as engine_jalons
from jalon.labellisation import parcours as engine
from jalon.labellisation.checklist import Checklist
from jalon.labellisation.jalons import Comparaison, Points, StatutFige, comparer
from jalon.web.api_common import ApiError, ErrorOut, Out, Strict, caller, errors, is_row_id
from jalon.web.collectivites.models import Collectivite
from jalon.web.errors import InputError
from jalon.web.labellisation import models, services
from jalon.web.labellisation.evolution import evolution_of
from jalon.web.labellisation.services import ParcoursRefuse
from jalon.web.limits import error_body
from jalon.web.referentiels.services import current_loaded

router = Router(tags=["labellisation"])

REF = "/collectivites/{collectivite_id}/labellisation/{referentiel_id}"
JALON = REF + "/jalons/{jalon_id}"
MAINTENANT = "maintenant"


class RefusOut(ErrorOut):
    """A refusal: the reasons by field, and for a transition the engine refused, each missing item."""

    manquants: list[str] = Field(default_factory=list)


READ = errors(401, 404, 422)
WRITE: dict[int, type[Out]] = {**errors(401, 403, 404, 413), 422: RefusOut}


# -- answers ---------------------------------------------------------------------------------------------


class LabelOut(Out):
    etoile: int
    obtenu_le: date
    fin_validite: date = Field(description="premier jour où le label n'est plus valable")
    pct_fait: float
    pct_programme: float


class DemandeOut(Out):
    etoile: int | None
    sujet: str
    envoyee_le: date
    par: str | None
    audit_requis: bool


class AuditMesureOut(Out):
    mesure: str
    statut: str
    avis: str
    ordre_du_jour: bool


class AuditOut(Out):
    auditeurs: list[str]
    debut: date | None
    fin: date | None
    pre_audit: int | None = Field(description="id du jalon pré-audit")
    post_audit: int | None = Field(description="id du jalon post-audit")
    rapport: str | None
    mesures: list[AuditMesureOut]


class DecisionOut(Out):
    le: date
    obtenu: bool
    par: str | None


class ActionOut(Out):
    code: str
    libelle: str


class ConditionOut(Out):
    code: str
    libelle: str
    atteint: bool | None


class CritereOut(Out):
    etoile: int
    action_id: str
    libelle: str
    atteint: bool
    fait: float
    programme: float


class ChecklistOut(Out):
    fait: float
    programme: float
    etoile_score: int
    etoile_cible: int
    prochain_seuil: float | None
    completude: float
    taches: int
    taches_renseignees: int
    marge_recommandee: float
    demandable: bool = Field(description="sans le document, que seule la demande fournit")
    conditions: list[ConditionOut]
    criteres: list[CritereOut]


class ParcoursOut(Out):
    referentiel: str
    cycle: int
    etat: str
    etat_libelle: str
    maj_le: date | None
    label_en_vigueur: LabelOut | None
    labels: list[LabelOut]
    demande: DemandeOut | None
    audit: AuditOut
    decision: DecisionOut | None
    actions_possibles: list[ActionOut] = Field(description="les transitions que l'appelant peut tenter")
    checklist: ChecklistOut


class JalonOut(Out):
    id: int
    referentiel: str
    nom: str
    genre: str
    le: date
    version: str
    par: str | None
    protege: bool = Field(description="un jalon du parcours : ni renommé ni supprimé")


class PointsOut(Out):
    potentiel: float
    fait: float
    programme: float
    pct_fait: float
    pct_programme: float


class NoeudOut(Out):
    action_id: str
    nom: str
    niveau: str
    parent: str | None
    points: PointsOut


class StatutFigeOut(Out):
    avancement: list[float] | None = Field(description="[fait, programmé, pas fait] ; null : non renseigné")
    concerne: bool


class StatutJalonOut(StatutFigeOut):
    action_id: str


class JalonDetailOut(JalonOut):
    noeuds: list[NoeudOut] = Field(description="les nœuds au-dessus des tâches, dans l'ordre de l'arbre")
    statuts: list[StatutJalonOut]


class EcartOut(Out):
    action_id: str
    nom: str
    niveau: str
    avant: PointsOut | None
    apres: PointsOut | None
    ecart_fait: float
    ecart_programme: float
    ecart_potentiel: float
    ecart_pct_fait: float
    ecart_pct_programme: float


class ChangementOut(Out):
    action_id: str
    nom: str
    avant: StatutFigeOut
    apres: StatutFigeOut


class CoteOut(Out):
    id: int | None = Field(description="null : l'état actuel")
    nom: str
    le: date


class ComparaisonOut(Out):
    avant: CoteOut
    apres: CoteOut
    noeuds: list[EcartOut]
    statuts: list[ChangementOut]


class PointEvolutionOut(Out):
    nom: str
    le: date
    genre: str
    pct_fait: float
    pct_programme: float


# -- inputs ----------------------------------------------------------------------------------------------


class DemandeIn(Strict):
    sujet: Literal["labellisation", "cot"] = "labellisation"
    etoile: StrictInt | None = Field(default=None, description="l'étoile demandée ; null pour un audit COT")
    document: StrictStr = Field(default="", description="lien https://… vers la demande signée")


class AuditeurIn(Strict):
    auditeur: StrictStr = Field(description="identifiant (nom d'utilisateur) de la personne")


class AuditMesureIn(Strict):
    mesure: StrictStr
    statut: Literal["non_audite", "en_cours", "audite"]
    avis: StrictStr = ""
    ordre_du_jour: StrictBool = False


class RapportIn(Strict):
    rapport: StrictStr = Field(description="lien https://… vers le rapport d'audit")


class DecisionIn(Strict):
    obtenu: StrictBool
    jalon: StrictInt | None = Field(default=None, description="le jalon jugé quand il n'y a pas eu d'audit")


class NomIn(Strict):
    nom: StrictStr


class PiloteIn(Strict):
    action_id: StrictStr
    nom: StrictStr


# -- what every endpoint checks ----------------------------------------------------------------------------


def _visible(request: HttpRequest, collectivite_id: int) -> Collectivite:
    """The collectivité, when the caller may see its parcours; else a 404, as if it did not exist."""
    found = Collectivite.objects.filter(pk=collectivite_id).first() if is_row_id(collectivite_id) else None
    if found is None or not services.may_see(caller(request), found):
        raise ApiError(404, "collectivite_id", "collectivité introuvable")
    return found


def _referentiels() -> list[str]:
    """The référentiels that have a parcours: those the criteria file speaks of."""
    _, loaded = current_loaded()
    criteres = loaded.criteres
    if criteres is None:
        return []
    return [r for r in loaded.referentiels if r in criteres.criteres or criteres.demande.pilotes.get(r)]


def _referentiel(referentiel_id: str) -> str:
    if referentiel_id not in _referentiels():
        raise ApiError(
            404, "referentiel_id", f"référentiel sans parcours de labellisation : {referentiel_id!r}"
        )
    return referentiel_id


T = TypeVar("T")


def _run(do: Callable[[], T]) -> T:
    """A service's call; its refusals as the API answers them (a role: 403; the rest: 422)."""
    try:
        return do()
    except PermissionDenied as error:
        raise ApiError(403, "role", str(error) or "action réservée à d'autres rôles") from None


def _refus(request: HttpRequest, error: InputError) -> Status[dict[str, Any]]:
    """A refusal as answered: 422, the reason by field, and what is missing when the engine said."""
    body: dict[str, Any] = error_body(error.field, error.reason)
    body["manquants"] = list(error.manquants) if isinstance(error, ParcoursRefuse) else []
    return Status(422, body)


# -- reading ---------------------------------------------------------------------------------------------


def _usernames(ids: Iterable[str]) -> dict[str, str]:
    wanted = [int(i) for i in ids if i.isdigit()]
    return {str(pk): name for pk, name in User.objects.filter(pk__in=wanted).values_list("pk", "username")}


def _label(label: engine.Label) -> dict[str, Any]:
    return {
        "etoile": label.etoile,
        "obtenu_le": label.obtenu_le,
        "fin_validite": label.fin_validite,
        "pct_fait": label.pct_fait,
        "pct_programme": label.pct_programme,
    }


def _checklist(found: Checklist) -> dict[str, Any]:
    return {
        "fait": found.fait,
        "programme": found.programme,
        "etoile_score": found.etoile_score,
        "etoile_cible": found.etoile_cible,
        "prochain_seuil": found.prochain_seuil,
        "completude": found.completude,
        "taches": found.taches,
        "taches_renseignees": found.taches_renseignees,
        "marge_recommandee": found.marge_recommandee,
        "demandable": found.demandable(),
        "conditions": [
            {"code": c.code, "libelle": c.libelle, "atteint": c.atteint} for c in found.conditions
        ],
        "criteres": [
            {
                "etoile": c.critere.etoile,
                "action_id": c.action_id,
                "libelle": c.critere.libelle,
                "atteint": c.atteint,
                "fait": c.fait,
                "programme": c.programme,
            }
            for c in found.criteres
        ],
    }


def parcours_out(collectivite: Collectivite, user: User, referentiel_id: str) -> dict[str, Any]:
    vue = services.vue(collectivite, user, referentiel_id)
    p = vue.parcours
    people = {*p.audit.auditeurs}
    if p.demande is not None:
        people.add(p.demande.par)
    if p.decision is not None:
        people.add(p.decision.par)
    names = _usernames(people)
    jalons = (
        models.Audit.objects.filter(
            cycle__collectivite=collectivite, cycle__referentiel=referentiel_id, cycle__courant=True
        )
        .values_list("pre_audit_id", "post_audit_id")
        .first()
    ) or (None, None)
    d, a = p.demande, p.audit
    return {
        "referentiel": referentiel_id,
        "cycle": p.cycle,
        "etat": p.etat.value,
        "etat_libelle": p.etat.libelle,
        "maj_le": p.maj_le,
        "label_en_vigueur": None if vue.en_vigueur is None else _label(vue.en_vigueur),
        "labels": [_label(label) for label in p.labels],
        "demande": None
        if d is None
        else {
            "etoile": d.etoile,
            "sujet": d.sujet.value,
            "envoyee_le": d.envoyee_le,
            "par": names.get(d.par),
            "audit_requis": d.audit_requis,
        },
        "audit": {
            "auditeurs": sorted(names[i] for i in a.auditeurs if i in names),
            "debut": a.debut,
            "fin": a.fin,
            "pre_audit": jalons[0],
            "post_audit": jalons[1],
            "rapport": a.rapport,
            "mesures": [
                {"mesure": m, "statut": n.statut.value, "avis": n.avis, "ordre_du_jour": n.ordre_du_jour}
                for m, n in a.mesures.items()
            ],
        },
        "decision": None
        if p.decision is None
        else {"le": p.decision.le, "obtenu": p.decision.obtenu, "par": names.get(p.decision.par)},
        "actions_possibles": [
            {"code": code, "libelle": engine.TRANSITIONS[code].libelle} for code in vue.possibles
        ],
        "checklist": _checklist(services.checklist_of(collectivite, referentiel_id, None)),
    }


@router.get(
    "/collectivites/{collectivite_id}/labellisation",
    response={200: list[ParcoursOut], **READ},
    operation_id="jalon_web_labellisation_api_list_parcours",
)
def list_parcours(request: HttpRequest, collectivite_id: int) -> list[dict[str, Any]]:
    """The parcours of every référentiel that has one, as the caller sees them."""
    c = _visible(request, collectivite_id)
    return [parcours_out(c, caller(request), r) for r in _referentiels()]


@router.get(REF, response={200: ParcoursOut, **READ}, operation_id="jalon_web_labellisation_api_get_parcours")
def get_parcours(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> dict[str, Any]:
    """Where the parcours stands: état, label in force, demande, audit, decision, the transitions the
    caller may try and the checklist now."""
    c = _visible(request, collectivite_id)
    return parcours_out(c, caller(request), _referentiel(referentiel_id))


# -- the transitions -------------------------------------------------------------------------------------


def _transition(
    request: HttpRequest,
    collectivite_id: int,
    referentiel_id: str,
    do: Callable[[Collectivite, User, str], object],
) -> Any:
    c = _visible(request, collectivite_id)
    ref = _referentiel(referentiel_id)
    user = caller(request)
    try:
        _run(lambda: do(c, user, ref))
    except InputError as error:
        return _refus(request, error)
    return parcours_out(c, user, ref)


@router.post(
    REF + "/demander",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_demander",
)
def demander(request: HttpRequest, collectivite_id: int, referentiel_id: str, body: DemandeIn) -> Any:
    """Send the demande (édition or admin), checked against the checklist at this moment."""
    return _transition(
        request,
        collectivite_id,
        referentiel_id,
        lambda c, u, r: services.demander(
            c, u, r, sujet=body.sujet, etoile=body.etoile, document=body.document
        ),
    )


@router.post(
    REF + "/affecter-auditeur",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_affecter_auditeur",
)
def affecter_auditeur(
    request: HttpRequest, collectivite_id: int, referentiel_id: str, body: AuditeurIn
) -> Any:
    """Assign an auditor to the demande (the platform's staff)."""
    return _transition(
        request,
        collectivite_id,
        referentiel_id,
        lambda c, u, r: services.affecter_auditeur(c, u, r, body.auditeur),
    )


@router.post(
    REF + "/retirer-auditeur",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_retirer_auditeur",
)
def retirer_auditeur(
    request: HttpRequest, collectivite_id: int, referentiel_id: str, body: AuditeurIn
) -> Any:
    """Withdraw an auditor (the platform's staff)."""
    return _transition(
        request,
        collectivite_id,
        referentiel_id,
        lambda c, u, r: services.retirer_auditeur(c, u, r, body.auditeur),
    )


@router.post(
    REF + "/demarrer-audit",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_demarrer_audit",
)
def demarrer_audit(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> Any:
    """Start the audit (an assigned auditor); the pré-audit jalon is frozen with it."""
    return _transition(request, collectivite_id, referentiel_id, services.demarrer_audit)


@router.post(
    REF + "/auditer-mesure",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_auditer_mesure",
)
def auditer_mesure(
    request: HttpRequest, collectivite_id: int, referentiel_id: str, body: AuditMesureIn
) -> Any:
    """An assigned auditor's notes on a mesure: audit statut, avis, ordre du jour."""
    return _transition(
        request,
        collectivite_id,
        referentiel_id,
        lambda c, u, r: services.auditer_mesure(
            c, u, r, body.mesure, body.statut, body.avis, body.ordre_du_jour
        ),
    )


@router.post(
    REF + "/joindre-rapport",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_joindre_rapport",
)
def joindre_rapport(request: HttpRequest, collectivite_id: int, referentiel_id: str, body: RapportIn) -> Any:
    """Attach the audit report, a link (an assigned auditor)."""
    return _transition(
        request,
        collectivite_id,
        referentiel_id,
        lambda c, u, r: services.joindre_rapport(c, u, r, body.rapport),
    )


@router.post(
    REF + "/valider-audit",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_valider_audit",
)
def valider_audit(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> Any:
    """Validate the audit (an assigned auditor); the post-audit jalon is frozen with it."""
    return _transition(request, collectivite_id, referentiel_id, services.valider_audit)


@router.post(
    REF + "/decider",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_decider",
)
def decider(request: HttpRequest, collectivite_id: int, referentiel_id: str, body: DecisionIn) -> Any:
    """Record the commission's decision (the platform's staff); a label obtained is stored with it."""

    def decide(c: Collectivite, user: User, ref: str) -> engine.Parcours:
        if body.jalon is not None and not is_row_id(body.jalon):
            raise InputError("jalon", f"jalon inconnu : {body.jalon}")
        return services.decider(c, user, ref, body.obtenu, body.jalon)

    return _transition(request, collectivite_id, referentiel_id, decide)


@router.post(
    REF + "/nouveau-cycle",
    response={200: ParcoursOut, **WRITE},
    operation_id="jalon_web_labellisation_api_nouveau_cycle",
)
def nouveau_cycle(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> Any:
    """Start a new cycle (édition or admin) once the audit is validated or the commission decided."""
    return _transition(request, collectivite_id, referentiel_id, services.nouveau_cycle)


@router.post(
    "/collectivites/{collectivite_id}/pilotes",
    response={200: dict[str, list[str]], **WRITE},
    operation_id="jalon_web_labellisation_api_nommer_pilote",
)
def nommer_pilote(request: HttpRequest, collectivite_id: int, body: PiloteIn) -> Any:
    """Name a pilote of an action (édition, admin or conseiller); every action's pilotes in answer."""
    c = _visible(request, collectivite_id)
    user = caller(request)
    try:
        _run(lambda: services.nommer_pilote(c, user, body.action_id, body.nom))
    except InputError as error:
        return _refus(request, error)
    return services.pilotes_of(c)


# -- jalons ----------------------------------------------------------------------------------------------


def _jalon_out(row: models.Jalon, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.pk,
        "referentiel": row.referentiel,
        "nom": row.nom,
        "genre": row.genre,
        "le": row.le,
        "version": row.version,
        "par": None if row.par_id is None else names.get(row.par_id),
        "protege": row.genre != engine_jalons.Genre.LIBRE.value,
    }


def _names(rows: Iterable[models.Jalon]) -> dict[int, str]:
    ids = {r.par_id for r in rows if r.par_id is not None}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))


def _jalon(c: Collectivite, referentiel_id: str, jalon_id: int) -> models.Jalon:
    row = (
        models.Jalon.objects.filter(collectivite=c, referentiel=referentiel_id, pk=jalon_id).first()
        if is_row_id(jalon_id)
        else None
    )
    if row is None:
        raise ApiError(404, "jalon_id", "jalon introuvable")
    return row


def _points(p: Points | None) -> dict[str, float] | None:
    if p is None:
        return None
    return {
        "potentiel": p.potentiel,
        "fait": p.fait,
        "programme": p.programme,
        "pct_fait": p.pct_fait,
        "pct_programme": p.pct_programme,
    }


def _statut(s: StatutFige) -> dict[str, Any]:
    return {"avancement": None if s.avancement is None else list(s.avancement), "concerne": s.concerne}


@router.get(
    REF + "/jalons",
    response={200: list[JalonOut], **READ},
    operation_id="jalon_web_labellisation_api_list_jalons",
)
def list_jalons(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> list[dict[str, Any]]:
    """The référentiel's jalons, by date."""
    c = _visible(request, collectivite_id)
    rows = services.jalons_of(c, _referentiel(referentiel_id))
    names = _names(rows)
    return [_jalon_out(r, names) for r in rows]


@router.post(
    REF + "/jalons",
    response={200: JalonOut, **WRITE},
    operation_id="jalon_web_labellisation_api_figer_jalon",
)
def figer_jalon(request: HttpRequest, collectivite_id: int, referentiel_id: str, body: NomIn) -> Any:
    """Freeze the référentiel's state now as a named jalon (édition, admin or conseiller)."""
    c = _visible(request, collectivite_id)
    ref = _referentiel(referentiel_id)
    user = caller(request)
    try:
        row = _run(lambda: services.figer_jalon(c, user, ref, body.nom))
    except InputError as error:
        return _refus(request, error)
    return _jalon_out(row, _names([row]))


@router.get(
    JALON, response={200: JalonDetailOut, **READ}, operation_id="jalon_web_labellisation_api_get_jalon"
)
def get_jalon(
    request: HttpRequest, collectivite_id: int, referentiel_id: str, jalon_id: int
) -> dict[str, Any]:
    """A jalon as it was frozen: its nodes above the tâches with their points, and every statut."""
    c = _visible(request, collectivite_id)
    row = _jalon(c, _referentiel(referentiel_id), jalon_id)
    value = services.jalon_value(row)
    return {
        **_jalon_out(row, _names([row])),
        "noeuds": [
            {
                "action_id": a,
                "nom": n.nom,
                "niveau": n.niveau,
                "parent": n.parent,
                "points": _points(
                    Points(n.nombre("point_potentiel"), n.nombre("point_fait"), n.nombre("point_programme"))
                ),
            }
            for a, n in value.noeuds.items()
            if n.niveau in engine_jalons.COMPARED_LEVELS
        ],
        "statuts": [{"action_id": a, **_statut(s)} for a, s in value.statuts.items()],
    }


@router.patch(
    JALON, response={200: JalonOut, **WRITE}, operation_id="jalon_web_labellisation_api_renommer_jalon"
)
def renommer_jalon(
    request: HttpRequest, collectivite_id: int, referentiel_id: str, jalon_id: int, body: NomIn
) -> Any:
    """Rename a free jalon (édition, admin or conseiller); those of the parcours are refused (422)."""
    c = _visible(request, collectivite_id)
    row = _jalon(c, _referentiel(referentiel_id), jalon_id)
    user = caller(request)
    try:
        row = _run(lambda: services.renommer_jalon(c, user, row.pk, body.nom))
    except InputError as error:
        return _refus(request, error)
    return _jalon_out(row, _names([row]))


@router.delete(
    JALON, response={200: JalonOut, **WRITE}, operation_id="jalon_web_labellisation_api_supprimer_jalon"
)
def supprimer_jalon(request: HttpRequest, collectivite_id: int, referentiel_id: str, jalon_id: int) -> Any:
    """Delete a free jalon (édition, admin or conseiller); those of the parcours, or one the commission
    judged, are refused (422). The answer is the jalon as it was."""
    c = _visible(request, collectivite_id)
    row = _jalon(c, _referentiel(referentiel_id), jalon_id)
    gone = _jalon_out(row, _names([row]))
    user = caller(request)
    try:
        _run(lambda: services.supprimer_jalon(c, user, row.pk))
    except InputError as error:
        return _refus(request, error)
    return gone


def _cote(c: Collectivite, referentiel_id: str, field: str, which: str) -> tuple[int | None, Any]:
    if which == MAINTENANT:
        return None, services.jalon_maintenant(c, referentiel_id)
    if not which.isdigit() or not is_row_id(int(which)):
        raise InputError(field, f"attendu l'id d'un jalon ou « {MAINTENANT} », trouvé {which!r}")
    row = models.Jalon.objects.filter(collectivite=c, referentiel=referentiel_id, pk=int(which)).first()
    if row is None:
        raise InputError(field, f"jalon inconnu du référentiel {referentiel_id} : {which}")
    return row.pk, services.jalon_value(row)


@router.get(
    REF + "/comparaison",
    response={200: ComparaisonOut, **READ},
    operation_id="jalon_web_labellisation_api_comparer_jalons",
)
def comparer_jalons(
    request: HttpRequest,
    collectivite_id: int,
    referentiel_id: str,
    avant: str,
    apres: str = MAINTENANT,
) -> dict[str, Any]:
    """Two jalons (or a jalon and now: ``maintenant``, the default of ``apres``) side by side: per axe,
    mesure and sous-mesure, points and shares with their deltas, and the statuts that changed."""
    c = _visible(request, collectivite_id)
    ref = _referentiel(referentiel_id)
    id_avant, jalon_avant = _cote(c, ref, "avant", avant)
    id_apres, jalon_apres = _cote(c, ref, "apres", apres)
    found: Comparaison = comparer(jalon_avant, jalon_apres)
    return {
        "avant": {"id": id_avant, "nom": jalon_avant.nom, "le": jalon_avant.le},
        "apres": {"id": id_apres, "nom": jalon_apres.nom, "le": jalon_apres.le},
        "noeuds": [
            {
                "action_id": n.action_id,
                "nom": n.nom,
                "niveau": n.niveau,
                "avant": _points(n.avant),
                "apres": _points(n.apres),
                "ecart_fait": n.ecart_fait,
                "ecart_programme": n.ecart_programme,
                "ecart_potentiel": n.ecart_potentiel,
                "ecart_pct_fait": n.ecart_pct_fait,
                "ecart_pct_programme": n.ecart_pct_programme,
            }
            for n in found.noeuds
        ],
        "statuts": [
            {"action_id": s.action_id, "nom": s.nom, "avant": _statut(s.avant), "apres": _statut(s.apres)}
            for s in found.statuts
        ],
    }


@router.get(
    REF + "/evolution",
    response={200: list[PointEvolutionOut], **READ},
    operation_id="jalon_web_labellisation_api_evolution",
)
def evolution(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> list[dict[str, Any]]:
    """The root's % fait and % programmé at each jalon, by date (the chart's points)."""
    c = _visible(request, collectivite_id)
    return [
        {
            "nom": p.nom,
            "le": p.le,
            "genre": p.genre.value,
            "pct_fait": p.pct_fait,
            "pct_programme": p.pct_programme,
        }
        for p in evolution_of(c, _referentiel(referentiel_id))
    ]
