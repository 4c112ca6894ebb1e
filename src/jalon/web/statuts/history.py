"""The scores of a past date, replayed from the history; the filters of the history's lists.

The state at a date is today's state with every later change undone (newest first, each subject
taking back its ``previous`` value): statuts, answers and the identity (type, population,
localisation). It is then scored by a full evaluation with the référentiel version that was current
at that date. Undoing from today rather than redoing from nothing also holds for data written before
the history began. The name and the members' roles (kinds NOM and MEMBRE) change no score: the replay
skips them.

The history page and the API filter the entries with the same functions, ``subject_matches`` and
``check_kind``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from jalon.evaluation import evaluate_state
from jalon.referentiel.model import Referentiels
from jalon.regles import Reponse as ReponseValue
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import current_version, loaded_version
from jalon.web.statuts.models import HistoryEntry, Kind, Reponse, StatutRecord
from jalon.web.statuts.services import Scores, statut_value
from jalon.web.statuts.write import statut_of
from jalon.web.texte import fold, numero

IDENTITE_FIELDS = ("type", "population", "localisation")


@dataclass(frozen=True)
class PastState:
    at: datetime
    version: ReferentielVersion
    statuts: dict[str, dict[str, Any]]  # action id → statut as the API shows it
    reponses: dict[str, ReponseValue]
    identite: dict[str, Any]  # type, population, localisation


def _version_at(at: datetime) -> ReferentielVersion:
    version = ReferentielVersion.objects.filter(created_at__lte=at).order_by("-id").first()
    # Before the first import there were no scores: the first version is the best answer.
    version = version or ReferentielVersion.objects.order_by("id").first()
    if version is None:
        raise InputError("referentiel", "aucun référentiel importé")
    return version


def state_at(collectivite: Collectivite, at: datetime) -> PastState:
    """Statuts, answers and identity of a collectivité as they were at ``at``."""
    with transaction.atomic():
        # The collectivité's write lock: today's state and the history are read as one snapshot,
        # never between the statut row and the history entry of a concurrent write.
        c = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
        statuts: dict[str, dict[str, Any] | None] = {
            r.action_id: statut_value(r) for r in StatutRecord.objects.filter(collectivite=c)
        }
        reponses: dict[str, Any] = {r.question_id: r.valeur for r in Reponse.objects.filter(collectivite=c)}
        ident: dict[str, Any] = {f: getattr(c, f) for f in IDENTITE_FIELDS}
        later = HistoryEntry.objects.filter(
            collectivite=c, at__gt=at, kind__in=(Kind.STATUT, Kind.REPONSE, Kind.IDENTITE)
        ).order_by("-id")
        for entry in later:
            if entry.kind == Kind.STATUT:
                statuts[entry.subject] = entry.previous
            elif entry.kind == Kind.REPONSE:
                reponses[entry.subject] = entry.previous
            else:
                ident.update(entry.previous or {})
        version = _version_at(at)
    return PastState(
        at=at,
        version=version,
        statuts={k: v for k, v in statuts.items() if v is not None},
        reponses={k: v for k, v in reponses.items() if v is not None},
        identite=ident,
    )


def scores_at(collectivite: Collectivite, at: datetime) -> tuple[PastState, dict[str, Scores]]:
    """The state at ``at`` and its scores: référentiel id → action id → the engine's fields (the same
    numbers the stored scores had then)."""
    state = state_at(collectivite, at)
    loaded = loaded_version(state.version)
    then = Collectivite(**state.identite)
    # An action the old version does not know (renamed since) is left out, as it was then.
    known = {a for r in loaded.referentiels.values() for a in r.actions}
    statuts = {a: statut_of(v) for a, v in state.statuts.items() if a in known}
    reponses = {q: v for q, v in state.reponses.items() if q in loaded.questions}
    everything = evaluate_state(loaded, identite(then), reponses, statuts)
    return state, {r.id: {a: everything[a] for a in r.actions} for r in loaded.referentiels.values()}


# -- filters of the history's lists ---------------------------------------------------------------


def _id_rule(subject: str) -> Q:
    if subject[-1:].isdigit():
        return Q(subject=subject) | Q(subject__startswith=subject + ".")
    return Q(subject__startswith=subject)


# Folded names of every action (with the ids of its subtree) and question, once per loaded version.
_names: dict[int, tuple[Referentiels, list[tuple[str, tuple[str, ...]]]]] = {}


def _names_of(refs: Referentiels) -> list[tuple[str, tuple[str, ...]]]:
    cached = _names.get(id(refs))
    if cached is not None and cached[0] is refs:
        return cached[1]
    below: dict[str, list[str]] = {}
    for referentiel in refs.referentiels.values():
        for action in reversed(list(referentiel.actions.values())):  # children before parents
            below[action.id] = [action.id, *(i for child in action.children for i in below[child])]
    found = [
        (fold(a.nom), tuple(below[a.id])) for r in refs.referentiels.values() for a in r.actions.values()
    ]
    found += [(fold(q.formulation), (q.id,)) for q in refs.questions.values()]
    if len(_names) >= 8:  # versions replaced by imports
        _names.clear()
    _names[id(refs)] = (refs, found)
    return found


def _named(subject: str) -> set[str]:
    """The actions (and what is below them) and questions whose name holds ``subject``, accents and
    case aside, in the current référentiels."""
    folded = fold(subject)
    version = current_version()
    if len(folded) < 2 or version is None:
        return set()
    return {i for name, ids in _names_of(loaded_version(version)) if folded in name for i in ids}


def subject_matches(subject: str) -> Q:
    """The entries about ``subject`` and what is below it, whichever way a person names it:

    - an id: one ending with a digit matches by whole components, ``cae_1.1`` takes ``cae_1.1`` and
      ``cae_1.1.3``, not ``cae_1.10`` (nor ``assainissement_4`` the question ``assainissement_4bis``);
      any other start takes every subject beginning with it: ``cae`` the whole référentiel (its axes are
      ``cae_1``…), ``demo_`` every such question;
    - a number, ``6.1.1``: that action and what is below it in every référentiel that has it;
    - words of a name, accents and case aside (``energie`` finds « Énergie »): the actions whose name
      holds them, with what is below them, and the questions whose wording does.
    """
    subject = subject.strip()
    if not subject:
        return Q()
    matches = _id_rule(subject)
    number = numero(subject)
    if number is not None:  # cae_6.1.1, eci_6.1.1…: the action kinds only (a username may hold digits)
        numbered = Q(subject__endswith=f"_{number}") | Q(subject__contains=f"_{number}.")
        matches |= Q(kind__in=(Kind.STATUT, Kind.EXPLICATION)) & numbered
    else:
        named = _named(subject)
        if named:
            matches |= Q(kind__in=(Kind.STATUT, Kind.EXPLICATION, Kind.REPONSE, Kind.JUSTIFICATION)) & Q(
                subject__in=sorted(named)
            )
    return matches


def check_kind(kind: str, field: str) -> str:
    """A kind of change to filter by (``field``: the parameter's name). Raises InputError."""
    if kind not in Kind.values:
        choices = ", ".join(Kind.values)
        raise InputError(field, f"type de changement inconnu {kind!r} ; valeurs possibles : {choices}")
    return kind
