"""The parcours de labellisation of a collectivité: read back into the engine's values, changed only by the
engine's ``transition`` inside the write primitive (``statuts/write.py``).

Every write: one transaction under the collectivité's lock; the stored parcours read under that lock;
the engine decides (a refusal raises before anything is written: ``ParcoursInterdit`` for a role, a
403; ``ParcoursRefuse``, an ``InputError``, for the rest); the new parcours stored, with the jalon the
transition froze and the référentiel's lock (``Write.verrouiller``: during the audit only its auditors
write statuts, explications and answers); one history entry (``Kind.PARCOURS``) naming the transition.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jalon.labellisation import jalons as engine_jalons
from jalon.labellisation import parcours as engine
from jalon.labellisation.checklist import Checklist, checklist
from jalon.labellisation.jalons import NoeudFige, StatutFige, figer
from jalon.referentiel.model import Criteres, Referentiel, Referentiels
from jalon.web.collectivites.models import WRITE_ROLES, Collectivite
from jalon.web.collectivites.services import role_of
from jalon.web.errors import InputError
from jalon.web.labellisation import models, pilotes
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.models import Explication, Kind, Reponse
from jalon.web.statuts.services import scores, statuts_of
from jalon.web.statuts.write import Write, change, statut_of

AnyUser = User | AnonymousUser
MAX_NOM = 200
MAX_LIEN = 500
MAX_AVIS = 10_000


class ParcoursInterdit(PermissionDenied):
    """A transition the person's role does not allow (answered 403), with the engine's French message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParcoursRefuse(InputError):
    """A transition the engine refused for the parcours' state, a date, a condition or bad data: the
    French message, and each missing item (``manquants``) to list beside the form."""

    def __init__(self, field: str, reason: str, manquants: tuple[str, ...] = ()) -> None:
        super().__init__(field, reason)
        self.manquants = manquants


# -- reading --------------------------------------------------------------------------------------------


def _statut_fige(value: Mapping[str, Any]) -> StatutFige:
    avancement = value["avancement"]
    return StatutFige(None if avancement is None else tuple(avancement), bool(value["concerne"]))


def jalon_value(row: models.Jalon) -> engine_jalons.Jalon:
    """A stored jalon as the engine's immutable value."""
    noeuds = {
        action_id: NoeudFige(nom, niveau, parent, MappingProxyType(scores))
        for action_id, nom, niveau, parent, scores in row.noeuds
    }
    return engine_jalons.Jalon(
        row.referentiel,
        row.version,
        row.nom,
        engine_jalons.Genre(row.genre),
        row.le,
        MappingProxyType(noeuds),
        MappingProxyType({a: _statut_fige(v) for a, v in row.statuts.items()}),
    )


# The jalons of the parcours, as values, kept by the process: every read of a parcours en audit needs
# them, a CAE jalon is ~900 KB of JSON (~12 ms to parse), and they never change once written. Keyed by
# the row's id and creation time (ids restart in a fresh test database); bounded.
_jalons: OrderedDict[tuple[int, str], engine_jalons.Jalon] = OrderedDict()
_jalons_lock = threading.Lock()
JALONS_KEPT = 32


def _kept_jalon(jalon_id: int) -> engine_jalons.Jalon:
    created = models.Jalon.objects.filter(pk=jalon_id).values_list("created_at", flat=True).get()
    key = (jalon_id, created.isoformat())
    with _jalons_lock:
        found = _jalons.get(key)
        if found is not None:
            _jalons.move_to_end(key)
            return found
    value = jalon_value(models.Jalon.objects.get(pk=jalon_id))
    with _jalons_lock:
        _jalons[key] = value
        while len(_jalons) > JALONS_KEPT:
            _jalons.popitem(last=False)
    return value


def _ident(user_id: int | None) -> str:
    return "" if user_id is None else str(user_id)


def _current(collectivite_id: int, referentiel_id: str) -> models.Cycle | None:
    return (
        models.Cycle.objects.filter(collectivite_id=collectivite_id, referentiel=referentiel_id, courant=True)
        .select_related("demande", "audit", "decision")
        .first()
    )


def _parcours(collectivite_id: int, referentiel_id: str, row: models.Cycle | None) -> engine.Parcours:
    """The engine's parcours of the stored current cycle (a first, empty cycle when none is stored)."""
    labels = tuple(
        engine.Label(
            label.referentiel,
            label.etoile,
            label.obtenu_le,
            label.fin_validite,
            float(label.pct_fait),
            float(label.pct_programme),
        )
        for label in models.Label.objects.filter(collectivite_id=collectivite_id, referentiel=referentiel_id)
    )
    if row is None:
        return engine.Parcours(str(collectivite_id), referentiel_id, labels=labels)
    demande_row = getattr(row, "demande", None)
    demande = None
    if demande_row is not None:
        demande = engine.Demande(
            demande_row.etoile,
            engine.Sujet(demande_row.sujet),
            demande_row.envoyee_le,
            _ident(demande_row.par_id),
            demande_row.audit_requis,
        )
    audit = engine.Audit()
    audit_row = getattr(row, "audit", None)
    if audit_row is not None:
        mesures = {
            m.mesure: engine.AuditMesure(engine.StatutAudit(m.statut), m.avis, m.ordre_du_jour)
            for m in audit_row.mesures.all()
        }
        audit = engine.Audit(
            auditeurs=frozenset(str(pk) for pk in audit_row.auditeurs.values_list("pk", flat=True)),
            debut=audit_row.debut,
            fin=audit_row.fin,
            pre_audit=None if audit_row.pre_audit_id is None else _kept_jalon(audit_row.pre_audit_id),
            post_audit=None if audit_row.post_audit_id is None else _kept_jalon(audit_row.post_audit_id),
            mesures=MappingProxyType(mesures),
            rapport=audit_row.rapport or None,
        )
    decision_row = getattr(row, "decision", None)
    decision = None
    if decision_row is not None:
        decision = engine.Decision(decision_row.le, decision_row.obtenu, _ident(decision_row.par_id))
    return engine.Parcours(
        str(collectivite_id),
        referentiel_id,
        cycle=row.cycle,
        etat=engine.Etat(row.etat),
        demande=demande,
        audit=audit,
        decision=decision,
        labels=labels,
        maj_le=row.maj_le,
    )


def parcours_of(collectivite: Collectivite, referentiel_id: str) -> engine.Parcours:
    """The current cycle of the parcours, as stored."""
    return _parcours(collectivite.pk, referentiel_id, _current(collectivite.pk, referentiel_id))


def roles_of(user: AnyUser, collectivite: Collectivite) -> frozenset[str]:
    """The engine's roles of a person for a collectivité: the member's role, and « staff »."""
    roles = set()
    role = role_of(user, collectivite)
    if role is not None:
        roles.add(role)
    if user.is_authenticated and user.is_staff:
        roles.add(engine.STAFF)
    return frozenset(roles)


def acteur_of(user: AnyUser, collectivite: Collectivite) -> engine.Acteur:
    return engine.Acteur(_ident(user.pk), roles_of(user, collectivite))


def may_see(user: AnyUser, collectivite: Collectivite) -> bool:
    """Members, the platform's staff, and the auditors assigned to one of its current audits see its
    parcours."""
    if not user.is_authenticated:
        return False
    if user.is_staff or role_of(user, collectivite) is not None:
        return True
    return models.Audit.objects.filter(
        cycle__collectivite=collectivite, cycle__courant=True, auditeurs=user
    ).exists()


def jalons_of(collectivite: Collectivite, referentiel_id: str) -> list[models.Jalon]:
    """The stored jalons of a référentiel, by date (without their nodes)."""
    return list(
        models.Jalon.objects.filter(collectivite=collectivite, referentiel=referentiel_id).defer(
            "noeuds", "statuts", "contexte"
        )
    )


def jalon_of(collectivite: Collectivite, jalon_id: int) -> models.Jalon:
    found = models.Jalon.objects.filter(collectivite=collectivite, pk=jalon_id).first()
    if found is None:
        raise InputError("jalon", f"jalon inconnu : {jalon_id}")
    return found


def labels_of(collectivite: Collectivite, referentiel_id: str) -> list[models.Label]:
    return list(models.Label.objects.filter(collectivite=collectivite, referentiel=referentiel_id))


def pilotes_of(collectivite: Collectivite) -> dict[str, list[str]]:
    """Action id → its pilotes as shown (members and named people)."""
    return {a: [p.libelle for p in found] for a, found in pilotes.pilotes_by_action(collectivite).items()}


def checklist_of(collectivite: Collectivite, referentiel_id: str, document: bool | None) -> Checklist:
    """The référentiel's checklist now, with the pilotes stored and ``document`` as given."""
    _, loaded = current_loaded()
    return checklist(
        loaded,
        referentiel_id,
        scores(collectivite, referentiel_id),
        statuts_of(collectivite, referentiel_id),
        document=document,
        pilotes=pilotes.actions_pilotees(collectivite.pk, loaded),
    )


# -- the write of a transition ---------------------------------------------------------------------------


def _referentiel(loaded: Referentiels, referentiel_id: str) -> tuple[Referentiel, Criteres]:
    referentiel = loaded.referentiels.get(referentiel_id)
    if referentiel is None:
        raise InputError("referentiel", f"référentiel inconnu : {referentiel_id!r}")
    if loaded.criteres is None:
        raise InputError(
            "referentiel", "le référentiel en service n'a pas de fichier de critères de labellisation"
        )
    return referentiel, loaded.criteres


def _refus(error: engine.TransitionRefusee, code: str) -> Exception:
    if error.motif == "role":
        return ParcoursInterdit(error.message)
    return ParcoursRefuse(code, error.message, error.manquants)


def _store_jalon(w: Write, collectivite_id: int, user: User, jalon: engine_jalons.Jalon) -> models.Jalon:
    """A jalon's row, with the explications, answers and identity of this moment."""
    explications = dict(
        Explication.objects.filter(collectivite_id=collectivite_id).values_list("action_id", "texte")
    )
    reponses = {
        q: {"valeur": v, "justification": j}
        for q, v, j in Reponse.objects.filter(collectivite_id=collectivite_id).values_list(
            "question_id", "valeur", "justification"
        )
    }
    return models.Jalon.objects.create(
        collectivite_id=collectivite_id,
        referentiel=jalon.referentiel,
        version=jalon.version,
        nom=jalon.nom,
        genre=jalon.genre.value,
        le=jalon.le,
        par=user,
        noeuds=[[a, n.nom, n.niveau, n.parent, dict(n.scores)] for a, n in jalon.noeuds.items()],
        statuts={
            a: {"avancement": None if s.avancement is None else list(s.avancement), "concerne": s.concerne}
            for a, s in jalon.statuts.items()
        },
        contexte={
            "explications": {a: t for a, t in explications.items() if a in jalon.noeuds},
            "reponses": reponses,
            "identite": {**w.identite, "nom": w.nom},
        },
    )


def _freeze(
    w: Write, referentiel: Referentiel, nom: str, genre: engine_jalons.Genre, le: date
) -> engine_jalons.Jalon:
    """The référentiel's state in this write, frozen (not stored)."""
    version, _ = w.referentiels()
    scored = w.scored(referentiel)
    statuts = {a: statut_of(v) for a, v in scored.statuts.items()}
    return figer(referentiel, scored.as_dict(), statuts, nom=nom, genre=genre, le=le, version=version.digest)


def _user(user_id: str) -> User:
    return User.objects.get(pk=int(user_id))


def _store(
    w: Write,
    user: User,
    row: models.Cycle | None,
    before: engine.Parcours,
    after: engine.Parcours,
    document: str,
    jalon_id: int | None,
) -> dict[str, Any]:
    """Write what ``after`` changed from ``before`` (the current cycle's rows); what changed, for the
    history."""
    cid = int(after.collectivite)
    done: dict[str, Any] = {}
    if after.cycle != before.cycle:  # a new cycle: the old one stays as it was, no longer current
        assert row is not None
        models.Cycle.objects.filter(pk=row.pk).update(courant=False)
        models.Cycle.objects.create(
            collectivite_id=cid, referentiel=after.referentiel, cycle=after.cycle, maj_le=after.maj_le
        )
        done["cycle"] = after.cycle
        return done
    if row is None:
        row = models.Cycle.objects.create(
            collectivite_id=cid, referentiel=after.referentiel, cycle=after.cycle
        )
    row.etat = after.etat.value
    row.maj_le = after.maj_le
    row.save(update_fields=["etat", "maj_le"])
    if before.demande is None and after.demande is not None:
        d = after.demande
        models.Demande.objects.create(
            cycle=row,
            etoile=d.etoile,
            sujet=d.sujet.value,
            envoyee_le=d.envoyee_le,
            par=user,
            audit_requis=d.audit_requis,
            document=document,
        )
        done.update(etoile=d.etoile, sujet=d.sujet.value, audit_requis=d.audit_requis)
    if before.audit != after.audit:
        audit_row, _ = models.Audit.objects.get_or_create(cycle=row)
        a, b = after.audit, before.audit
        for added in sorted(a.auditeurs - b.auditeurs):
            audit_row.auditeurs.add(_user(added))
            done["auditeur"] = _user(added).get_username()
        for removed in sorted(b.auditeurs - a.auditeurs):
            audit_row.auditeurs.remove(_user(removed))
            done["auditeur"] = _user(removed).get_username()
        audit_row.debut, audit_row.fin, audit_row.rapport = a.debut, a.fin, a.rapport or ""
        if a.pre_audit is not None and b.pre_audit is None:
            audit_row.pre_audit = _store_jalon(w, cid, user, a.pre_audit)
            done["jalon"] = audit_row.pre_audit.pk
        if a.post_audit is not None and b.post_audit is None:
            audit_row.post_audit = _store_jalon(w, cid, user, a.post_audit)
            done["jalon"] = audit_row.post_audit.pk
        audit_row.save()
        for mesure, note in a.mesures.items():
            if b.mesures.get(mesure) != note:
                models.AuditMesure.objects.update_or_create(
                    audit=audit_row,
                    mesure=mesure,
                    defaults={
                        "statut": note.statut.value,
                        "avis": note.avis,
                        "ordre_du_jour": note.ordre_du_jour,
                    },
                )
                done.update(mesure=mesure, statut=note.statut.value, ordre_du_jour=note.ordre_du_jour)
        if a.rapport != b.rapport:
            done["rapport"] = a.rapport
    if before.decision is None and after.decision is not None:
        audited = getattr(row, "audit", None)
        judged = audited.post_audit_id if audited is not None and audited.post_audit_id else jalon_id
        models.Decision.objects.create(
            cycle=row, le=after.decision.le, obtenu=after.decision.obtenu, par=user, jalon_id=judged
        )
        done["obtenu"] = after.decision.obtenu
    for label in after.labels[len(before.labels) :]:
        models.Label.objects.create(
            collectivite_id=cid,
            referentiel=label.referentiel,
            cycle=row,
            etoile=label.etoile,
            obtenu_le=label.obtenu_le,
            fin_validite=label.fin_validite,
            pct_fait=Decimal(repr(label.pct_fait)),
            pct_programme=Decimal(repr(label.pct_programme)),
        )
        done.update(label=label.etoile, fin_validite=label.fin_validite)
    return done


def _lock(w: Write, after: engine.Parcours) -> None:
    """The référentiel's stored lock follows the parcours' (``engine.verrou``): set when the audit
    starts, its auditors kept up to date while it runs, removed when it is validated. The statuts'
    writes check it under the collectivité's lock."""
    lock = engine.verrou(after)
    if lock is None:
        w.deverrouiller(after.referentiel)
    else:
        w.verrouiller(after.referentiel, (int(a) for a in lock.auteurs), lock.motif)


Build = Callable[[Write, engine.Parcours, Referentiel, date], engine.Action]


def _agir(
    collectivite: Collectivite,
    user: User,
    referentiel_id: str,
    build: Build,
    le: date | None,
    document: str = "",
    jalon_id: int | None = None,
) -> engine.Parcours:
    """One transition, through the write primitive: the parcours read under the collectivité's lock,
    the engine's decision, the new state stored and its history entry; a refusal writes nothing."""
    le = le or timezone.localdate()
    version, loaded = current_loaded()
    referentiel, regles = _referentiel(loaded, referentiel_id)
    acteur = acteur_of(user, collectivite)
    with change(collectivite.pk, user.pk, version, loaded) as w:
        row = _current(collectivite.pk, referentiel_id)
        before = _parcours(collectivite.pk, referentiel_id, row)
        action = build(w, before, referentiel, le)
        try:
            after = engine.transition(before, action, acteur=acteur, le=le, regles=regles)
        except engine.TransitionRefusee as error:
            raise _refus(error, action.code) from None
        done = _store(w, user, row, before, after, document, jalon_id)
        _lock(w, after)
        w.record(
            Kind.PARCOURS,
            f"parcours {referentiel_id}",
            {"etat": before.etat.value, "cycle": before.cycle},
            {"action": action.code, "etat": after.etat.value, "cycle": after.cycle, **done},
        )
    return after


# -- the transitions ---------------------------------------------------------------------------------


def _lien(field: str, lien: str, required: bool) -> str:
    """A link as stored (a file or link on the demande until the preuves issue). Raises InputError."""
    lien = lien.strip()
    if not lien:
        if required:
            raise InputError(field, "un lien https://… est attendu")
        return ""
    if not lien.startswith(("https://", "http://")) or len(lien) > MAX_LIEN or any(c.isspace() for c in lien):
        raise InputError(
            field, f"attendu une adresse https://… d'au plus {MAX_LIEN} caractères, trouvé {lien!r}"
        )
    return lien


def demander(
    collectivite: Collectivite,
    user: User,
    referentiel_id: str,
    *,
    sujet: str,
    etoile: int | None,
    document: str,
    le: date | None = None,
) -> engine.Parcours:
    """Send the demande: the checklist is built under the lock from the stored state, with the document
    (a link) and the pilotes stored; an audit alone (``sujet`` cot) if the collectivité is under a COT."""
    if sujet not in engine.Sujet.__members__.values():
        raise InputError("sujet", f"sujet inconnu {sujet!r} ; valeurs possibles : labellisation, cot")
    lien = _lien("document", document, required=False)

    def build(w: Write, p: engine.Parcours, referentiel: Referentiel, jour: date) -> engine.Action:
        _, loaded = w.referentiels()
        scored = w.scored(referentiel)
        found = checklist(
            loaded,
            referentiel.id,
            scored.as_dict(),
            {a: statut_of(v) for a, v in scored.statuts.items()},
            document=bool(lien),
            pilotes=pilotes.actions_pilotees(w.collectivite_id, loaded),
        )
        return engine.Demander(etoile, engine.Sujet(sujet), found, w.cot)

    return _agir(collectivite, user, referentiel_id, build, le, document=lien)


def _auditeur(collectivite: Collectivite, user: User, code: str, username: str) -> User:
    """The person named, once the caller is known to be staff: others learn nothing of the accounts."""
    if engine.STAFF not in roles_of(user, collectivite):
        raise ParcoursInterdit(f"{engine.TRANSITIONS[code].libelle} : réservé à l'équipe de la plateforme.")
    found = User.objects.filter(username=username.strip()).first()
    if found is None or not found.is_active:
        raise InputError("auditeur", f"aucun compte actif nommé {username.strip()!r}")
    return found


def affecter_auditeur(
    collectivite: Collectivite, user: User, referentiel_id: str, auditeur: str, le: date | None = None
) -> engine.Parcours:
    """Assign a person (by username; a member or not) to the demande's audit (staff)."""
    person = _auditeur(collectivite, user, "affecter_auditeur", auditeur)
    return _agir(
        collectivite, user, referentiel_id, lambda w, p, r, j: engine.AffecterAuditeur(str(person.pk)), le
    )


def retirer_auditeur(
    collectivite: Collectivite, user: User, referentiel_id: str, auditeur: str, le: date | None = None
) -> engine.Parcours:
    person = _auditeur(collectivite, user, "retirer_auditeur", auditeur)
    return _agir(
        collectivite, user, referentiel_id, lambda w, p, r, j: engine.RetirerAuditeur(str(person.pk)), le
    )


def demarrer_audit(
    collectivite: Collectivite, user: User, referentiel_id: str, le: date | None = None
) -> engine.Parcours:
    """Start the audit; the pré-audit jalon is frozen and stored in the same transaction."""

    def build(w: Write, p: engine.Parcours, referentiel: Referentiel, jour: date) -> engine.Action:
        nom = f"Pré-audit du {jour.strftime('%d/%m/%Y')}"
        return engine.DemarrerAudit(_freeze(w, referentiel, nom, engine_jalons.Genre.PRE_AUDIT, jour))

    return _agir(collectivite, user, referentiel_id, build, le)


def auditer_mesure(
    collectivite: Collectivite,
    user: User,
    referentiel_id: str,
    mesure: str,
    statut: str,
    avis: str = "",
    ordre_du_jour: bool = False,
    le: date | None = None,
) -> engine.Parcours:
    """An auditor's notes on one mesure: audit statut, avis, ordre du jour."""
    if statut not in models.StatutAudit.values:
        choices = ", ".join(models.StatutAudit.values)
        raise InputError("statut", f"statut d'audit inconnu {statut!r} ; valeurs possibles : {choices}")
    if len(avis) > MAX_AVIS or "\x00" in avis:
        raise InputError("avis", f"texte de {MAX_AVIS} caractères au plus, sans caractère nul")
    action = engine.AuditerMesure(mesure, engine.StatutAudit(statut), avis, ordre_du_jour)
    return _agir(collectivite, user, referentiel_id, lambda w, p, r, j: action, le)


def joindre_rapport(
    collectivite: Collectivite, user: User, referentiel_id: str, lien: str, le: date | None = None
) -> engine.Parcours:
    if len(lien.strip()) > MAX_LIEN:
        raise InputError("rapport", f"un lien de {MAX_LIEN} caractères au plus")
    return _agir(collectivite, user, referentiel_id, lambda w, p, r, j: engine.JoindreRapport(lien), le)


def valider_audit(
    collectivite: Collectivite, user: User, referentiel_id: str, le: date | None = None
) -> engine.Parcours:
    """Validate the audit; the post-audit jalon is frozen and stored in the same transaction."""

    def build(w: Write, p: engine.Parcours, referentiel: Referentiel, jour: date) -> engine.Action:
        nom = f"Post-audit du {jour.strftime('%d/%m/%Y')}"
        return engine.ValiderAudit(_freeze(w, referentiel, nom, engine_jalons.Genre.POST_AUDIT, jour))

    return _agir(collectivite, user, referentiel_id, build, le)


def decider(
    collectivite: Collectivite,
    user: User,
    referentiel_id: str,
    obtenu: bool,
    jalon_id: int | None = None,
    le: date | None = None,
) -> engine.Parcours:
    """The commission's decision (staff); ``jalon_id``: the jalon judged when there was no audit."""
    judged = None if jalon_id is None else jalon_value(jalon_of(collectivite, jalon_id))
    return _agir(
        collectivite,
        user,
        referentiel_id,
        lambda w, p, r, j: engine.Decider(obtenu, judged),
        le,
        jalon_id=jalon_id,
    )


def nouveau_cycle(
    collectivite: Collectivite, user: User, referentiel_id: str, le: date | None = None
) -> engine.Parcours:
    return _agir(collectivite, user, referentiel_id, lambda w, p, r, j: engine.NouveauCycle(), le)


# -- jalons and pilotes, outside the state machine ------------------------------------------------------


def _check_nom(field: str, nom: str) -> str:
    nom = nom.strip()
    if not nom or len(nom) > MAX_NOM or "\x00" in nom:
        raise InputError(field, f"un nom de 1 à {MAX_NOM} caractères est attendu")
    return nom


def _editeur(user: User, collectivite: Collectivite, quoi: str) -> None:
    if role_of(user, collectivite) not in WRITE_ROLES:
        raise PermissionDenied(f"{quoi} : réservé aux membres en édition, admin ou conseiller.")


def figer_jalon(
    collectivite: Collectivite, user: User, referentiel_id: str, nom: str, le: date | None = None
) -> models.Jalon:
    """A named jalon of the référentiel's state now (an éditeur), with its history entry."""
    _editeur(user, collectivite, "Figer un jalon")
    nom = _check_nom("nom", nom)
    le = le or timezone.localdate()
    version, loaded = current_loaded()
    referentiel, _ = _referentiel(loaded, referentiel_id)
    with change(collectivite.pk, user.pk, version, loaded) as w:
        jalon = _freeze(w, referentiel, nom, engine_jalons.Genre.LIBRE, le)
        row = _store_jalon(w, collectivite.pk, user, jalon)
        w.record(Kind.JALON, f"jalon {referentiel_id}", None, {"id": row.pk, "nom": nom, "le": le})
    return row


def _jalon_row(collectivite: Collectivite, jalon_id: int) -> tuple[models.Jalon, dict[str, Any]]:
    row = jalon_of(collectivite, jalon_id)
    return row, {"id": row.pk, "nom": row.nom, "le": row.le}


def renommer_jalon(collectivite: Collectivite, user: User, jalon_id: int, nom: str) -> models.Jalon:
    """A free jalon's new name (an éditeur); those of the parcours are its record: refused."""
    _editeur(user, collectivite, "Renommer un jalon")
    nom = _check_nom("nom", nom)
    with change(collectivite.pk, user.pk) as w:
        row, previous = _jalon_row(collectivite, jalon_id)
        try:
            renamed = engine_jalons.renommer(jalon_value(row), nom)
        except ValueError as error:
            raise InputError("nom", str(error).removeprefix("nom : ")) from None
        if renamed.nom != row.nom:
            row.nom = renamed.nom
            row.save(update_fields=["nom"])
            w.record(Kind.JALON, f"jalon {row.referentiel}", previous, {**previous, "nom": row.nom})
    return row


def supprimer_jalon(collectivite: Collectivite, user: User, jalon_id: int) -> None:
    """Delete a free jalon (an éditeur); not one of the parcours, nor one a commission judged."""
    _editeur(user, collectivite, "Supprimer un jalon")
    with change(collectivite.pk, user.pk) as w:
        row, previous = _jalon_row(collectivite, jalon_id)
        refused = engine_jalons.protection(jalon_value(row))
        if refused is not None:
            raise InputError("jalon", refused)
        if models.Decision.objects.filter(jalon=row).exists():
            raise InputError("jalon", f"le jalon « {row.nom} » a été jugé par la commission : il est gardé.")
        row.delete()
        w.record(Kind.JALON, f"jalon {row.referentiel}", previous, None)


def jalon_maintenant(collectivite: Collectivite, referentiel_id: str) -> engine_jalons.Jalon:
    """The current state frozen the same way, not stored: « now » for a comparison."""
    version, loaded = current_loaded()
    referentiel, _ = _referentiel(loaded, referentiel_id)
    return figer(
        referentiel,
        scores(collectivite, referentiel_id),
        statuts_of(collectivite, referentiel_id),
        nom="Maintenant",
        genre=engine_jalons.Genre.LIBRE,
        le=timezone.localdate(),
        version=version.digest,
    )


def nommer_pilote(collectivite: Collectivite, user: User, action_id: str, nom: str) -> None:
    """Name a pilote of an action who is not a member (an éditeur), with its history entry."""
    pilotes.ajouter_pilote(collectivite, user, action_id, nom=nom)


@dataclass(frozen=True)
class Vue:
    """What the parcours page shows one person of one référentiel."""

    parcours: engine.Parcours
    acteur: engine.Acteur
    possibles: tuple[str, ...]
    en_vigueur: engine.Label | None


def vue(collectivite: Collectivite, user: AnyUser, referentiel_id: str) -> Vue:
    p = parcours_of(collectivite, referentiel_id)
    acteur = acteur_of(user, collectivite)
    return Vue(
        p, acteur, engine.actions_possibles(p, acteur), engine.label_en_vigueur(p, timezone.localdate())
    )


def verrou_of(collectivite_id: int, referentiel_id: str) -> engine.Verrou | None:
    """The lock the parcours sets on a référentiel's statuts, explications and answers (the audit en
    cours: only its assigned auditors write), else None, from the stored parcours (no jalon read).
    Every transition stores it with the collectivité's state (``statuts.models.Verrou``), which the
    statuts' writes check under the collectivité's lock and the pages read: this one is the
    parcours' word, for the tests to check that stored copy against."""
    row = (
        models.Audit.objects.filter(
            cycle__collectivite_id=collectivite_id,
            cycle__referentiel=referentiel_id,
            cycle__courant=True,
            cycle__etat=models.Etat.AUDIT_EN_COURS,
        )
        .prefetch_related("auditeurs")
        .first()
    )
    if row is None:
        return None
    audit = engine.Audit(auditeurs=frozenset(str(u.pk) for u in row.auditeurs.all()), debut=row.debut)
    return engine.verrou(
        engine.Parcours(str(collectivite_id), referentiel_id, etat=engine.Etat.AUDIT_EN_COURS, audit=audit)
    )
