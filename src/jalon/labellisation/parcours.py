"""The parcours de labellisation of a collectivité for one référentiel: a state machine over immutable values.

    non demandée ─ demander ─► demande envoyée ─ démarrer l'audit ─► audit en cours ─ valider ─► audit validé
                                     │                                                              │
                                     └──── décider (1re étoile, sans audit) ───┐      décider ──────┘
                                                                               ▼
                                                                   labellisée | refusée ─ nouveau cycle ─► …

``transition(parcours, action, acteur=…, le=…, regles=…)`` returns the next parcours or raises
``TransitionRefusee`` with a French message naming what is missing; nothing else changes a parcours. Who may
do what is the table ``TRANSITIONS``; the rules of a demande are those of the criteria file
(`labellisation/criteres.yml`) and of the official platform (docs/parcours.md says which and why). Dates are
given by the caller: the engine has no clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Literal

from jalon.labellisation.checklist import Checklist, CritereEvalue
from jalon.labellisation.jalons import Genre, Jalon
from jalon.referentiel.model import Criteres

VALIDITE_ANS = 4  # a label is valid 4 years from the commission's decision
DELAI_RAPPORT = timedelta(days=15)  # the audit report may still be attached this long after validation


class Etat(StrEnum):
    NON_DEMANDEE = "non_demandee"
    DEMANDE_ENVOYEE = "demande_envoyee"
    AUDIT_EN_COURS = "audit_en_cours"
    AUDIT_VALIDE = "audit_valide"
    LABELLISEE = "labellisee"
    REFUSEE = "refusee"

    @property
    def libelle(self) -> str:
        return _ETATS[self]


_ETATS = {
    Etat.NON_DEMANDEE: "non demandée",
    Etat.DEMANDE_ENVOYEE: "demande envoyée",
    Etat.AUDIT_EN_COURS: "audit en cours",
    Etat.AUDIT_VALIDE: "audit validé",
    Etat.LABELLISEE: "labellisée",
    Etat.REFUSEE: "refusée",
}


class Sujet(StrEnum):
    LABELLISATION = "labellisation"
    COT = "cot"  # an audit only, for a collectivité under a Contrat d'Objectif Territorial: no star


class StatutAudit(StrEnum):
    NON_AUDITE = "non_audite"
    EN_COURS = "en_cours"
    AUDITE = "audite"


# Roles, as plain strings: a member's role in the collectivité, "staff" for the platform's staff, and
# AUDITEUR_AFFECTE for a person assigned to audit this parcours (a property of the parcours, not a role).
LECTURE, EDITION, ADMIN, CONSEILLER, AUDITEUR = "lecture", "edition", "admin", "conseiller", "auditeur"
STAFF = "staff"
AUDITEUR_AFFECTE = "auditeur affecté"


@dataclass(frozen=True, slots=True)
class Acteur:
    """Who triggers a transition: a stable id (the web's user id) and its roles for this collectivité."""

    identifiant: str
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Demande:
    etoile: int | None  # None for an audit only (COT)
    sujet: Sujet
    envoyee_le: date
    par: str  # the requester's identifiant
    audit_requis: bool  # decided when sent: from the criteria file's etoile_min_audit, always for a COT audit


@dataclass(frozen=True, slots=True)
class AuditMesure:
    """The auditor's notes on one mesure."""

    statut: StatutAudit = StatutAudit.NON_AUDITE
    avis: str = ""
    ordre_du_jour: bool = False


@dataclass(frozen=True, slots=True)
class Audit:
    auditeurs: frozenset[str] = frozenset()
    debut: date | None = None
    fin: date | None = None  # the validation's date
    pre_audit: Jalon | None = None
    post_audit: Jalon | None = None
    mesures: Mapping[str, AuditMesure] = field(default_factory=lambda: MappingProxyType({}))  # read-only
    rapport: str | None = None  # a link until files come with the preuves


@dataclass(frozen=True, slots=True)
class Decision:
    le: date
    obtenu: bool
    par: str


@dataclass(frozen=True, slots=True)
class Label:
    """A label obtained: valid from the decision for 4 years (``fin_validite`` is the first day it is not)."""

    referentiel: str
    etoile: int
    obtenu_le: date
    fin_validite: date
    pct_fait: float  # percent of the potentiel fait, one decimal, of the state judged
    pct_programme: float

    def valide_le(self, jour: date) -> bool:
        return self.obtenu_le <= jour < self.fin_validite


@dataclass(frozen=True, slots=True)
class Parcours:
    """One cycle of the parcours of a collectivité for a référentiel, and the labels of every cycle."""

    collectivite: str
    referentiel: str
    cycle: int = 1
    etat: Etat = Etat.NON_DEMANDEE
    demande: Demande | None = None
    audit: Audit = Audit()
    decision: Decision | None = None
    labels: tuple[Label, ...] = ()  # obtained, oldest first, this cycle's last when labellisée
    maj_le: date | None = None  # the date of the last transition: the next one cannot be earlier


# -- actions: what a person asks; each names its code in TRANSITIONS ---------------------------------------


@dataclass(frozen=True, slots=True)
class Demander:
    """Send the demande. ``checklist``: the référentiel's checklist now, with the document and pilotes."""

    code: ClassVar[str] = "demander"
    etoile: int | None
    sujet: Sujet
    checklist: Checklist
    cot: bool = False  # whether the collectivité is under a COT


@dataclass(frozen=True, slots=True)
class AffecterAuditeur:
    code: ClassVar[str] = "affecter_auditeur"
    auditeur: str


@dataclass(frozen=True, slots=True)
class RetirerAuditeur:
    code: ClassVar[str] = "retirer_auditeur"
    auditeur: str


@dataclass(frozen=True, slots=True)
class DemarrerAudit:
    """Start the audit; ``pre_audit``: the jalon frozen now, in the same transaction."""

    code: ClassVar[str] = "demarrer_audit"
    pre_audit: Jalon


@dataclass(frozen=True, slots=True)
class AuditerMesure:
    code: ClassVar[str] = "auditer_mesure"
    mesure: str
    statut: StatutAudit
    avis: str = ""
    ordre_du_jour: bool = False


@dataclass(frozen=True, slots=True)
class JoindreRapport:
    code: ClassVar[str] = "joindre_rapport"
    lien: str


@dataclass(frozen=True, slots=True)
class ValiderAudit:
    """Validate the audit; ``post_audit``: the jalon frozen now, in the same transaction."""

    code: ClassVar[str] = "valider_audit"
    post_audit: Jalon


@dataclass(frozen=True, slots=True)
class Decider:
    """The commission's decision. ``jalon``: the state judged when there was no audit (1st star)."""

    code: ClassVar[str] = "decider"
    obtenu: bool
    jalon: Jalon | None = None


@dataclass(frozen=True, slots=True)
class NouveauCycle:
    code: ClassVar[str] = "nouveau_cycle"


Action = (
    Demander
    | AffecterAuditeur
    | RetirerAuditeur
    | DemarrerAudit
    | AuditerMesure
    | JoindreRapport
    | ValiderAudit
    | Decider
    | NouveauCycle
)


@dataclass(frozen=True, slots=True)
class Regle:
    """Who may trigger an action, from which states, towards which one (None: the state stays)."""

    libelle: str  # French, for people and the history
    depuis: frozenset[Etat]
    vers: Etat | None
    qui: frozenset[str]  # roles; AUDITEUR_AFFECTE: a person assigned to this parcours' audit


_APRES_DECISION = frozenset({Etat.LABELLISEE, Etat.REFUSEE})
TRANSITIONS: Mapping[str, Regle] = MappingProxyType(
    {
        "demander": Regle(
            "Demander la labellisation ou l'audit",
            frozenset({Etat.NON_DEMANDEE}),
            Etat.DEMANDE_ENVOYEE,
            frozenset({EDITION, ADMIN}),
        ),
        "affecter_auditeur": Regle(
            "Affecter un auditeur",
            frozenset({Etat.DEMANDE_ENVOYEE, Etat.AUDIT_EN_COURS}),
            None,
            frozenset({STAFF}),
        ),
        "retirer_auditeur": Regle(
            "Retirer un auditeur",
            frozenset({Etat.DEMANDE_ENVOYEE, Etat.AUDIT_EN_COURS}),
            None,
            frozenset({STAFF}),
        ),
        "demarrer_audit": Regle(
            "Démarrer l'audit",
            frozenset({Etat.DEMANDE_ENVOYEE}),
            Etat.AUDIT_EN_COURS,
            frozenset({AUDITEUR_AFFECTE}),
        ),
        "auditer_mesure": Regle(
            "Auditer une mesure",
            frozenset({Etat.AUDIT_EN_COURS}),
            None,
            frozenset({AUDITEUR_AFFECTE}),
        ),
        "joindre_rapport": Regle(
            "Joindre le rapport d'audit",
            frozenset({Etat.AUDIT_EN_COURS, Etat.AUDIT_VALIDE, *_APRES_DECISION}),
            None,
            frozenset({AUDITEUR_AFFECTE}),
        ),
        "valider_audit": Regle(
            "Valider l'audit",
            frozenset({Etat.AUDIT_EN_COURS}),
            Etat.AUDIT_VALIDE,
            frozenset({AUDITEUR_AFFECTE}),
        ),
        "decider": Regle(
            "Enregistrer la décision de la commission",
            frozenset({Etat.DEMANDE_ENVOYEE, Etat.AUDIT_VALIDE}),
            None,  # labellisée or refusée, as decided
            frozenset({STAFF}),
        ),
        "nouveau_cycle": Regle(
            "Commencer un nouveau cycle",
            frozenset({Etat.AUDIT_VALIDE, *_APRES_DECISION}),
            Etat.NON_DEMANDEE,
            frozenset({EDITION, ADMIN}),
        ),
    }
)

Motif = Literal["etat", "role", "date", "condition", "donnee"]


class TransitionRefusee(Exception):
    """A transition that cannot happen: ``motif`` says which kind (the web: role → 403, else 4xx with the
    message), ``manquants`` lists what is missing, each in French."""

    def __init__(self, motif: Motif, message: str, manquants: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.motif = motif
        self.message = message
        self.manquants = manquants


# -- small French helpers --------------------------------------------------------------------------------


def nom_etoile(etoile: int) -> str:
    return "1re étoile" if etoile == 1 else f"{etoile}e étoile"


def _jour(jour: date) -> str:
    return jour.strftime("%d/%m/%Y")


def _pct(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",").removesuffix(",0") + " %"


def _arrondi(value: float) -> float:
    """One decimal, halves away from zero (as the label record shows it)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def fin_validite(obtenu_le: date) -> date:
    """The first day a label obtained on ``obtenu_le`` is no longer valid: 4 years later (a 29 February
    gives the 1st of March when the year after 4 is not leap)."""
    try:
        return obtenu_le.replace(year=obtenu_le.year + VALIDITE_ANS)
    except ValueError:
        return date(obtenu_le.year + VALIDITE_ANS, 3, 1)


def _critere_manquant(evalue: CritereEvalue) -> str:
    c = evalue.critere
    attendu = f"{_pct(c.min_fait)} fait"
    if c.min_fait_programme is not None:
        attendu += f" ou {_pct(c.min_fait_programme)} fait + programmé"
    return (
        f"critère « {c.libelle} » ({c.action_id} : {_pct(evalue.fait)} fait, "
        f"{_pct(evalue.programme)} programmé ; attendu {attendu})"
    )


# -- the machine ------------------------------------------------------------------------------------------


def actions_possibles(parcours: Parcours, acteur: Acteur) -> tuple[str, ...]:
    """The codes of the actions this person may try now (state and role only: the conditions of an action
    are checked when it is tried). For showing the buttons."""
    return tuple(
        code
        for code, regle in TRANSITIONS.items()
        if parcours.etat in regle.depuis and _autorise(parcours, acteur, regle)
    )


_QUI = {
    EDITION: "un membre en édition",
    ADMIN: "un membre admin",
    STAFF: "l'équipe de la plateforme",
    AUDITEUR_AFFECTE: "un auditeur affecté à ce parcours",
}


def _autorise(parcours: Parcours, acteur: Acteur, regle: Regle) -> bool:
    if AUDITEUR_AFFECTE in regle.qui and acteur.identifiant in parcours.audit.auditeurs:
        return True
    return bool(regle.qui & acteur.roles)


def transition(parcours: Parcours, action: Action, *, acteur: Acteur, le: date, regles: Criteres) -> Parcours:
    """The parcours after ``action`` by ``acteur`` on ``le``; ``TransitionRefusee`` (French) otherwise.

    Checked in this order: the role, the state, the date (never before the last transition), then the
    action's own conditions. ``regles``: the label's rules (the référentiel folder's criteria file).
    """
    regle = TRANSITIONS[action.code]
    if not _autorise(parcours, acteur, regle):
        qui = " ou ".join(sorted(_QUI.get(role, role) for role in regle.qui))
        raise TransitionRefusee("role", f"{regle.libelle} : réservé à {qui}.", (qui,))
    if parcours.etat not in regle.depuis:
        depuis = ", ".join(sorted(e.libelle for e in regle.depuis))
        raise TransitionRefusee(
            "etat",
            f"{regle.libelle} : impossible quand le parcours est « {parcours.etat.libelle} » "
            f"(attendu : {depuis}).",
        )
    if parcours.maj_le is not None and le < parcours.maj_le:
        raise TransitionRefusee(
            "date",
            f"{regle.libelle} : date du {_jour(le)} antérieure à la dernière étape du parcours "
            f"({_jour(parcours.maj_le)}).",
        )
    after = _apply(parcours, action, acteur, le, regles, regle)
    return dataclasses.replace(after, maj_le=le)


def _apply(p: Parcours, action: Action, acteur: Acteur, le: date, regles: Criteres, regle: Regle) -> Parcours:
    audit = p.audit
    match action:
        case Demander():
            return _demander(p, action, acteur, le, regles)
        case AffecterAuditeur(auditeur=auditeur):
            if p.demande is None or not p.demande.audit_requis:
                raise TransitionRefusee(
                    "condition", f"{regle.libelle} : cette demande est traitée sans audit."
                )
            if not auditeur.strip():
                raise TransitionRefusee("donnee", f"{regle.libelle} : auditeur : attendu un identifiant.")
            if auditeur in audit.auditeurs:
                raise TransitionRefusee("condition", f"{regle.libelle} : {auditeur} est déjà affecté.")
            return dataclasses.replace(
                p, audit=dataclasses.replace(audit, auditeurs=audit.auditeurs | {auditeur})
            )
        case RetirerAuditeur(auditeur=auditeur):
            if auditeur not in audit.auditeurs:
                raise TransitionRefusee("condition", f"{regle.libelle} : {auditeur} n'est pas affecté.")
            if p.etat is Etat.AUDIT_EN_COURS and audit.auditeurs == {auditeur}:
                raise TransitionRefusee(
                    "condition",
                    f"{regle.libelle} : l'audit en cours resterait sans auditeur ; en affecter un autre "
                    "d'abord.",
                    ("un autre auditeur affecté",),
                )
            return dataclasses.replace(
                p, audit=dataclasses.replace(audit, auditeurs=audit.auditeurs - {auditeur})
            )
        case DemarrerAudit(pre_audit=jalon):
            _check_jalon(p, jalon, Genre.PRE_AUDIT, le, regle)
            return dataclasses.replace(
                p,
                etat=Etat.AUDIT_EN_COURS,
                audit=dataclasses.replace(audit, debut=le, pre_audit=jalon),
            )
        case AuditerMesure():
            assert audit.pre_audit is not None  # an audit en cours has its pré-audit jalon
            node = audit.pre_audit.noeuds.get(action.mesure)
            if node is None or node.niveau != "mesure":
                raise TransitionRefusee(
                    "donnee",
                    f"{regle.libelle} : mesure : {action.mesure!r} n'est pas une mesure du référentiel "
                    f"{p.referentiel}.",
                )
            mesures = dict(audit.mesures)
            mesures[action.mesure] = AuditMesure(action.statut, action.avis, action.ordre_du_jour)
            return dataclasses.replace(p, audit=dataclasses.replace(audit, mesures=MappingProxyType(mesures)))
        case JoindreRapport(lien=lien):
            if p.etat is not Etat.AUDIT_EN_COURS:
                if audit.fin is None:
                    raise TransitionRefusee("condition", f"{regle.libelle} : ce parcours n'a pas eu d'audit.")
                if le > audit.fin + DELAI_RAPPORT:
                    raise TransitionRefusee(
                        "condition",
                        f"{regle.libelle} : le rapport se joint jusqu'à {DELAI_RAPPORT.days} jours après "
                        f"la validation de l'audit ({_jour(audit.fin)}), soit le "
                        f"{_jour(audit.fin + DELAI_RAPPORT)} au plus tard.",
                    )
            lien = lien.strip()
            if not lien.startswith(("https://", "http://")):
                raise TransitionRefusee(
                    "donnee",
                    f"{regle.libelle} : lien : attendu une adresse https://…, trouvé {lien!r}.",
                )
            return dataclasses.replace(p, audit=dataclasses.replace(audit, rapport=lien))
        case ValiderAudit(post_audit=jalon):
            _check_jalon(p, jalon, Genre.POST_AUDIT, le, regle)
            return dataclasses.replace(
                p,
                etat=Etat.AUDIT_VALIDE,
                audit=dataclasses.replace(audit, fin=le, post_audit=jalon),
            )
        case Decider():
            return _decider(p, action, acteur, le, regles, regle)
        case NouveauCycle():
            assert p.demande is not None
            if p.etat is Etat.AUDIT_VALIDE and p.demande.sujet is not Sujet.COT:
                raise TransitionRefusee(
                    "condition",
                    f"{regle.libelle} : la labellisation attend la décision de la commission.",
                    ("la décision de la commission",),
                )
            return Parcours(p.collectivite, p.referentiel, cycle=p.cycle + 1, labels=p.labels)
    raise AssertionError(action)  # pragma: no cover - every action is matched above


def _check_jalon(p: Parcours, jalon: Jalon, genre: Genre, le: date, regle: Regle) -> None:
    if jalon.genre is not genre or jalon.referentiel != p.referentiel or jalon.le != le:
        raise TransitionRefusee(
            "donnee",
            f"{regle.libelle} : jalon : attendu le jalon {genre.value} du référentiel {p.referentiel} "
            f"figé le {_jour(le)}, trouvé « {jalon.nom} » ({jalon.genre.value}, {jalon.referentiel}, "
            f"{_jour(jalon.le)}).",
        )


def _demander(p: Parcours, action: Demander, acteur: Acteur, le: date, regles: Criteres) -> Parcours:
    checklist = action.checklist
    if checklist.referentiel != p.referentiel:
        raise TransitionRefusee(
            "donnee",
            f"Demande refusée : checklist du référentiel {checklist.referentiel}, attendu {p.referentiel}.",
        )
    etoiles = len(regles.etoiles)
    if action.sujet is Sujet.COT:
        if action.etoile is not None:
            raise TransitionRefusee(
                "donnee", "Demande refusée : etoile : un audit seul (COT) ne demande pas d'étoile."
            )
        if not action.cot:
            raise TransitionRefusee(
                "condition",
                "Demande refusée : un audit seul est réservé aux collectivités en COT.",
                ("un Contrat d'Objectif Territorial",),
            )
        audit_requis = True
        # Platform rule: complétude is enough for a COT audit, with the document and pilotes of any audit.
        needed = {"completude", "document", "pilotes"}
        quoi = "Demande d'audit (COT)"
    else:
        if action.etoile is None or not 1 <= action.etoile <= etoiles:
            raise TransitionRefusee(
                "donnee",
                f"Demande refusée : etoile : attendu une étoile de 1 à {etoiles}, trouvé {action.etoile!r}.",
            )
        etoile = action.etoile
        quoi = f"Demande de la {nom_etoile(etoile)}"
        if etoile > checklist.etoile_cible:
            raise TransitionRefusee(
                "condition",
                f"{quoi} refusée : le score ({_pct(checklist.fait)} fait) permet au plus la "
                f"{nom_etoile(checklist.etoile_cible)}.",
                (f"{_pct(regles.etoiles[etoile - 1])} fait au moins",),
            )
        for label in p.labels:
            if label.etoile == etoile and label.valide_le(le):
                raise TransitionRefusee(
                    "condition",
                    f"{quoi} refusée : elle a été obtenue le {_jour(label.obtenu_le)} et reste valable "
                    f"jusqu'au {_jour(label.fin_validite - timedelta(days=1))} inclus.",
                )
        audit_requis = etoile >= regles.demande.etoile_min_audit
        # The criteria are those of the checklist's target star, as on the official platform.
        needed = {"completude", "criteres", "document"}
        if audit_requis:
            needed |= {"etoile_audit", "pilotes"}
    manquants: list[str] = []
    for condition in checklist.conditions:
        if condition.code not in needed or condition.atteint is True:
            continue
        if condition.code == "criteres" and checklist.manquants:
            manquants.extend(_critere_manquant(c) for c in checklist.manquants)
        elif condition.atteint is None:
            manquants.append(f"{condition.libelle} (non renseigné)")
        else:
            manquants.append(condition.libelle)
    if manquants:
        raise TransitionRefusee(
            "condition", f"{quoi} refusée : il manque : {' ; '.join(manquants)}.", tuple(manquants)
        )
    demande = Demande(action.etoile, action.sujet, le, acteur.identifiant, audit_requis)
    return dataclasses.replace(p, etat=Etat.DEMANDE_ENVOYEE, demande=demande)


def _decider(
    p: Parcours, action: Decider, acteur: Acteur, le: date, regles: Criteres, regle: Regle
) -> Parcours:
    demande = p.demande
    assert demande is not None
    if demande.sujet is Sujet.COT:
        raise TransitionRefusee(
            "condition",
            f"{regle.libelle} : un audit seul (COT) ne passe pas en commission ; commencer un nouveau cycle.",
        )
    if p.etat is Etat.DEMANDE_ENVOYEE and demande.audit_requis:
        raise TransitionRefusee(
            "condition",
            f"{regle.libelle} : la {nom_etoile(demande.etoile or 1)} s'obtient après un audit validé ; "
            "l'audit n'a pas eu lieu.",
            ("un audit validé",),
        )
    decision = Decision(le, action.obtenu, acteur.identifiant)
    if not action.obtenu:
        return dataclasses.replace(p, etat=Etat.REFUSEE, decision=decision)
    jalon = p.audit.post_audit
    if jalon is None:
        jalon = action.jalon
        if jalon is None or jalon.referentiel != p.referentiel:
            raise TransitionRefusee(
                "donnee",
                f"{regle.libelle} : jalon : sans audit, attendu le jalon du référentiel {p.referentiel} "
                "jugé par la commission.",
            )
        etoile = demande.etoile or 1  # without audit the demande's star: the 1st
    else:
        etoile = jalon.etoile(regles.etoiles)  # the star the post-audit score reaches
    label = Label(
        p.referentiel,
        etoile,
        le,
        fin_validite(le),
        _arrondi(100 * jalon.fait),
        _arrondi(100 * jalon.programme),
    )
    return dataclasses.replace(p, etat=Etat.LABELLISEE, decision=decision, labels=(*p.labels, label))


# -- what the rest of the application asks of a parcours -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verrou:
    """During an audit only ``auteurs`` change the référentiel's statuts, explications and answers."""

    auteurs: frozenset[str]
    motif: str  # French, shown beside the locked controls


def verrou(parcours: Parcours) -> Verrou | None:
    """The lock of the référentiel's state, when the parcours sets one (the audit en cours), else None:
    then the collectivité's roles alone decide."""
    if parcours.etat is not Etat.AUDIT_EN_COURS:
        return None
    assert parcours.audit.debut is not None
    return Verrou(
        parcours.audit.auditeurs,
        f"Audit en cours depuis le {_jour(parcours.audit.debut)} : seuls les auditeurs affectés modifient "
        "les statuts, explications et réponses de ce référentiel.",
    )


def label_en_vigueur(parcours: Parcours, jour: date) -> Label | None:
    """The label valid on ``jour`` with the most stars, if any (the star "obtenue" of the dashboard)."""
    valid = [label for label in parcours.labels if label.valide_le(jour)]
    return max(valid, key=lambda label: (label.etoile, label.obtenu_le), default=None)


def incoherences(p: Parcours) -> tuple[str, ...]:
    """What is inconsistent in a parcours (empty when it is sound): for a parcours read back from storage,
    and the property tests. Transitions only ever build sound ones."""
    problems: list[str] = []
    audit = p.audit

    def expect(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    expect((p.demande is None) == (p.etat is Etat.NON_DEMANDEE), "une demande exactement après l'envoi")
    expect(
        (p.decision is not None) == (p.etat in _APRES_DECISION), "une décision exactement après la commission"
    )
    started = p.etat in {Etat.AUDIT_EN_COURS, Etat.AUDIT_VALIDE} or (
        p.etat in _APRES_DECISION and p.demande is not None and p.demande.audit_requis
    )
    expect((audit.debut is not None) == started, "un début d'audit exactement quand l'audit a commencé")
    expect((audit.pre_audit is not None) == started, "un jalon pré-audit exactement quand l'audit a commencé")
    validated = started and p.etat is not Etat.AUDIT_EN_COURS
    expect((audit.fin is not None) == validated, "une fin d'audit exactement quand l'audit est validé")
    expect((audit.post_audit is not None) == validated, "un jalon post-audit exactement après validation")
    if p.etat is Etat.AUDIT_EN_COURS:
        expect(bool(audit.auditeurs), "un auditeur au moins pendant l'audit")
    if p.demande is not None and not p.demande.audit_requis:
        expect(not audit.auditeurs, "pas d'auditeur pour une demande sans audit")
    if audit.debut is not None and audit.fin is not None:
        expect(audit.debut <= audit.fin, "l'audit finit après son début")
    if p.demande is not None and audit.debut is not None:
        expect(p.demande.envoyee_le <= audit.debut, "l'audit commence après la demande")
    if p.decision is not None and p.demande is not None:
        expect(p.demande.envoyee_le <= p.decision.le, "la décision suit la demande")
        expect(p.demande.sujet is Sujet.LABELLISATION, "une décision seulement pour une labellisation")
        if audit.fin is not None:
            expect(audit.fin <= p.decision.le, "la décision suit l'audit")
    if p.etat is Etat.LABELLISEE:
        assert p.decision is not None
        last = p.labels[-1] if p.labels else None
        expect(
            last is not None and last.obtenu_le == p.decision.le and p.decision.obtenu,
            "le label du cycle, à la date de la décision",
        )
    if p.etat is Etat.REFUSEE:
        expect(p.decision is not None and not p.decision.obtenu, "une décision de refus")
    for label in p.labels:
        expect(label.fin_validite == fin_validite(label.obtenu_le), "un label valable 4 ans")
        expect(label.referentiel == p.referentiel, "des labels du référentiel du parcours")
    return tuple(problems)
