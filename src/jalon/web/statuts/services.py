"""Writes of statuts, explications and answers, with their history and the stored scores.

Every write runs in one transaction that locks the collectivité, records the change in the history,
updates the scores through the engine's ``LiveScores`` and stores them. A process keeps the
``LiveScores`` of a collectivité between writes; it is taken out of the cache while a transaction uses
it and put back only on commit, so a rolled-back write never leaves changed numbers behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from jalon.evaluation import consequences_for, scoring_tree
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles.consequences import Consequence
from jalon.scenarios import Reponse as ReponseValue
from jalon.scenarios import check_reponse
from jalon.scores.engine import ScoreValue
from jalon.scores.incremental import LiveScores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import identite
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import current_version, loaded_version
from jalon.web.statuts.models import (
    Avancement,
    Explication,
    HistoryEntry,
    Kind,
    Reponse,
    ScoreNode,
    ScoreSet,
    StatutRecord,
)

MAX_TEXT = 10_000
Scores = dict[str, dict[str, ScoreValue]]


class InputError(Exception):
    """Bad input a user can act on: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# -- reading the stored state -------------------------------------------------------------------


def statut_of(record: StatutRecord) -> Statut:
    if record.avancement == Avancement.DETAILLE:
        return Statut.detaille(
            (record.pourcentage_fait or 0) / 100,
            (record.pourcentage_programme or 0) / 100,
            (record.pourcentage_pas_fait or 0) / 100,
        )
    return {
        Avancement.FAIT: FAIT,
        Avancement.PROGRAMME: PROGRAMME,
        Avancement.PAS_FAIT: PAS_FAIT,
        Avancement.NON_CONCERNE: NON_CONCERNE,
    }[Avancement(record.avancement)]


def statut_value(record: StatutRecord | None) -> dict[str, Any] | None:
    """A statut as the API and the history show it."""
    if record is None:
        return None
    value: dict[str, Any] = {"avancement": record.avancement}
    if record.avancement == Avancement.DETAILLE:
        value["detaille"] = [
            record.pourcentage_fait,
            record.pourcentage_programme,
            record.pourcentage_pas_fait,
        ]
    return value


def statuts_of(collectivite: Collectivite, referentiel: str | None = None) -> dict[str, Statut]:
    records = StatutRecord.objects.filter(collectivite=collectivite)
    if referentiel is not None:
        records = records.filter(referentiel=referentiel)
    return {r.action_id: statut_of(r) for r in records}


def reponses_of(collectivite: Collectivite) -> dict[str, ReponseValue]:
    return {
        r.question_id: r.valeur
        for r in Reponse.objects.filter(collectivite=collectivite)
        if r.valeur is not None
    }


def _consequences(collectivite: Collectivite, loaded: Referentiels) -> dict[str, Consequence]:
    return consequences_for(loaded, identite(collectivite), reponses_of(collectivite))


# -- live scores, cached per process --------------------------------------------------------------


@dataclass
class _Live:
    version_id: int
    revision: int
    scores: LiveScores


_live: dict[tuple[int, str], _Live] = {}
_live_lock = threading.Lock()


def _take_live(score_set: ScoreSet, referentiel: Referentiel, loaded: Referentiels) -> LiveScores:
    """The LiveScores matching a stored score set, out of the cache (rebuilt when absent or stale)."""
    key = (score_set.collectivite_id, score_set.referentiel)
    with _live_lock:
        cached = _live.pop(key, None)
    if (
        cached is not None
        and cached.version_id == score_set.version_id
        and cached.revision == score_set.revision
    ):
        return cached.scores
    c = score_set.collectivite
    live = LiveScores(scoring_tree(referentiel), statuts_of(c, referentiel.id), _consequences(c, loaded))
    # What is stored is what this LiveScores reported before: the next store then rewrites only the
    # nodes that differ (after another process wrote, or a restart), not the whole tree.
    live.assume_reported(dict(ScoreNode.objects.filter(score_set=score_set).values_list("action_id", "data")))
    return live


def clear_live_scores() -> None:
    """Forget every cached LiveScores (tests whose database ids restart)."""
    with _live_lock:
        _live.clear()


def _put_live_on_commit(score_set: ScoreSet, live: LiveScores) -> None:
    entry = _Live(score_set.version_id, score_set.revision, live)
    key = (score_set.collectivite_id, score_set.referentiel)

    def put() -> None:
        with _live_lock:
            _live[key] = entry

    transaction.on_commit(put)


def _score_set(
    collectivite: Collectivite, referentiel: Referentiel, version: ReferentielVersion, loaded: Referentiels
) -> tuple[ScoreSet, LiveScores]:
    """The stored score set (created or brought to the current version) and its LiveScores.

    Call inside a transaction that locked the collectivité.
    """
    score_set = ScoreSet.objects.filter(collectivite=collectivite, referentiel=referentiel.id).first()
    if score_set is not None and score_set.version_id == version.pk:
        score_set.collectivite = collectivite
        return score_set, _take_live(score_set, referentiel, loaded)
    live = LiveScores(
        scoring_tree(referentiel),
        statuts_of(collectivite, referentiel.id),
        _consequences(collectivite, loaded),
    )
    if score_set is None:
        score_set = ScoreSet(collectivite=collectivite, referentiel=referentiel.id, version=version)
    score_set.version = version
    return score_set, live


def _store(score_set: ScoreSet, live: LiveScores) -> None:
    """Store the rounded scores that moved: a statut change rewrites a few nodes, not the whole tree."""
    score_set.revision += 1
    score_set.save()
    changed = live.take_changed_scores()
    if len(changed) == live.tree.n:  # a new LiveScores reports every node: write them all
        ScoreNode.objects.filter(score_set=score_set).delete()
        ScoreNode.objects.bulk_create(
            ScoreNode(score_set=score_set, action_id=a, data=data) for a, data in changed.items()
        )
    else:
        for action_id, data in changed.items():
            if not ScoreNode.objects.filter(score_set=score_set, action_id=action_id).update(data=data):
                ScoreNode.objects.create(score_set=score_set, action_id=action_id, data=data)
    _put_live_on_commit(score_set, live)


def _lock(collectivite: Collectivite) -> Collectivite:
    # One writer per collectivité at a time (PostgreSQL row lock; SQLite's IMMEDIATE transactions
    # already serialise writers).
    return Collectivite.objects.select_for_update().get(pk=collectivite.pk)


def _version() -> tuple[ReferentielVersion, Referentiels]:
    version = current_version()
    if version is None:
        raise InputError("referentiel", "aucun référentiel importé")
    return version, loaded_version(version)


def scores(collectivite: Collectivite, referentiel_id: str) -> Scores:
    """The stored scores of a référentiel (computed and stored first if missing or of an old version)."""
    version, loaded = _version()
    referentiel = loaded.referentiels.get(referentiel_id)
    if referentiel is None:
        raise InputError("referentiel", f"référentiel inconnu : {referentiel_id}")
    found = dict(
        ScoreNode.objects.filter(
            score_set__collectivite=collectivite,
            score_set__referentiel=referentiel_id,
            score_set__version=version,
        ).values_list("action_id", "data")
    )
    if len(found) == len(referentiel.actions):
        return found
    with transaction.atomic():
        c = _lock(collectivite)
        score_set, live = _score_set(c, referentiel, version, loaded)
        _store(score_set, live)
    return live.as_dict()


def root_scores(collectivite: Collectivite, referentiel_id: str) -> dict[str, ScoreValue]:
    """The stored scores of a référentiel's root alone (one row)."""
    version = current_version()
    found = (
        ScoreNode.objects.filter(
            score_set__collectivite=collectivite,
            score_set__referentiel=referentiel_id,
            score_set__version=version,
            action_id=referentiel_id,
        )
        .values_list("data", flat=True)
        .first()
    )
    if found is None:  # no scores stored yet (or of an old version): compute and store them
        return scores(collectivite, referentiel_id)[referentiel_id]
    return found  # type: ignore[no-any-return]


# -- writes ---------------------------------------------------------------------------------------


def parse_statut(avancement: str | None, detaille: list[int] | None) -> StatutRecord | None:
    """A statut from the input: None (or "non_renseigne") removes it. Raises InputError."""
    if avancement in (None, "", "non_renseigne"):
        if detaille:
            raise InputError("detaille", "des pourcentages ne vont qu'avec l'avancement « detaille »")
        return None
    if avancement not in Avancement.values:
        choices = ", ".join([*Avancement.values, "non_renseigne"])
        raise InputError("avancement", f"avancement inconnu {avancement!r} ; valeurs possibles : {choices}")
    record = StatutRecord(avancement=avancement)
    if avancement != Avancement.DETAILLE:
        if detaille:
            raise InputError("detaille", "des pourcentages ne vont qu'avec l'avancement « detaille »")
        return record
    if detaille is None or len(detaille) != 3:
        raise InputError("detaille", "trois pourcentages sont attendus : fait, programmé, pas fait")
    if any(isinstance(p, bool) or not isinstance(p, int) or p < 0 or p > 100 or p % 5 for p in detaille):
        raise InputError(
            "detaille", f"chaque pourcentage est un multiple de 5 entre 0 et 100, reçu {detaille}"
        )
    if sum(detaille) != 100:
        raise InputError("detaille", f"les pourcentages doivent faire 100 au total, reçu {sum(detaille)}")
    record.pourcentage_fait, record.pourcentage_programme, record.pourcentage_pas_fait = detaille
    return record


def _find_action(loaded: Referentiels, action_id: str) -> Referentiel:
    for referentiel in loaded.referentiels.values():
        if action_id in referentiel.actions:
            return referentiel
    raise InputError("action_id", f"action inconnue : {action_id!r}")


def _check_text(field: str, text: str) -> None:
    if len(text) > MAX_TEXT:
        raise InputError(field, f"texte trop long : {len(text)} caractères, {MAX_TEXT} au plus")


@dataclass(frozen=True)
class StatutChange:
    action_id: str
    statut: dict[str, Any] | None
    reset: tuple[str, ...]  # sous-mesures whose own statut the write removed (cascade)
    scores: Scores  # the new scores of the action and of its ancestors


def set_statut(
    collectivite: Collectivite,
    user: User,
    action_id: str,
    avancement: str | None,
    detaille: list[int] | None = None,
) -> StatutChange:
    """Set the statut of a sous-mesure or tâche, with the cascade rules of the official platform:
    setting a tâche removes its sous-mesure's own statut; a désactivé action takes no statut."""
    new = parse_statut(avancement, detaille)
    version, loaded = _version()
    referentiel = _find_action(loaded, action_id)
    action = referentiel.actions[action_id]
    if action.depth <= referentiel.action_level:
        raise InputError("action_id", "un statut se donne à une sous-mesure ou à une tâche, pas à une mesure")
    with transaction.atomic():
        c = _lock(collectivite)
        score_set, live = _score_set(c, referentiel, version, loaded)
        if live.score(action_id)["desactive"]:
            raise InputError("action_id", f"l'action {action_id} est désactivée par la personnalisation")
        _write_statut(c, user, referentiel.id, action_id, new, live)
        reset: list[str] = []
        sous_mesure = action.parent
        if action.depth > referentiel.action_level + 1 and sous_mesure is not None:
            # Cascade: a tâche's statut makes the sous-mesure scored from its tâches again.
            if _write_statut(c, user, referentiel.id, sous_mesure, None, live):
                reset.append(sous_mesure)
        _store(score_set, live)
    touched = [action_id, *_ancestors(referentiel, action_id)]
    return StatutChange(action_id, statut_value(new), tuple(reset), {a: live.score(a) for a in touched})


def _ancestors(referentiel: Referentiel, action_id: str) -> list[str]:
    out = []
    parent = referentiel.actions[action_id].parent
    while parent is not None:
        out.append(parent)
        parent = referentiel.actions[parent].parent
    return out


def _write_statut(
    c: Collectivite,
    user: User,
    referentiel_id: str,
    action_id: str,
    new: StatutRecord | None,
    live: LiveScores,
) -> bool:
    """Write one statut row, its history and the live scores; False when nothing changed."""
    old = StatutRecord.objects.filter(collectivite=c, action_id=action_id).first()
    before, after = statut_value(old), statut_value(new)
    if before == after:
        return False
    if new is None:
        assert old is not None
        old.delete()
    else:
        record = old or StatutRecord(collectivite=c, action_id=action_id, referentiel=referentiel_id)
        record.avancement = new.avancement
        record.pourcentage_fait = new.pourcentage_fait
        record.pourcentage_programme = new.pourcentage_programme
        record.pourcentage_pas_fait = new.pourcentage_pas_fait
        record.modified_by_id = user.pk
        record.save()
    HistoryEntry.objects.create(
        collectivite=c, kind=Kind.STATUT, subject=action_id, user_id=user.pk, previous=before, new=after
    )
    live.set_statut(action_id, None if new is None else statut_of(new))
    return True


def set_explication(collectivite: Collectivite, user: User, action_id: str, texte: str) -> None:
    _check_text("texte", texte)
    _, loaded = _version()
    _find_action(loaded, action_id)
    with transaction.atomic():
        c = _lock(collectivite)
        old = Explication.objects.filter(collectivite=c, action_id=action_id).first()
        before = old.texte if old else ""
        if before == texte:
            return
        record = old or Explication(collectivite=c, action_id=action_id)
        record.texte = texte
        record.modified_by_id = user.pk
        record.save()
        HistoryEntry.objects.create(
            collectivite=c,
            kind=Kind.EXPLICATION,
            subject=action_id,
            user_id=user.pk,
            previous=before,
            new=texte,
        )


def set_reponse(
    collectivite: Collectivite,
    user: User,
    question_id: str,
    valeur: str | float | None,
    justification: str | None = None,
) -> None:
    """Answer a question (None removes the answer) and/or change its justification; rescore every
    référentiel the new consequences touch."""
    version, loaded = _version()
    if question_id not in loaded.questions:
        raise InputError("question_id", f"question inconnue : {question_id!r}")
    if isinstance(valeur, bool):
        raise InputError("valeur", "une réponse est OUI, NON, l'identifiant d'un choix ou une proportion")
    if isinstance(valeur, int):
        valeur = float(valeur)
    if valeur is not None:
        why = check_reponse(loaded, question_id, valeur)
        if why is not None:
            raise InputError("valeur", why)
    if justification is not None:
        _check_text("justification", justification)
    with transaction.atomic():
        c = _lock(collectivite)
        old = Reponse.objects.filter(collectivite=c, question_id=question_id).first()
        record = old or Reponse(collectivite=c, question_id=question_id, valeur=None)
        changed_valeur = record.valeur != valeur
        if changed_valeur:
            HistoryEntry.objects.create(
                collectivite=c,
                kind=Kind.REPONSE,
                subject=question_id,
                user_id=user.pk,
                previous=record.valeur,
                new=valeur,
            )
            record.valeur = valeur
        if justification is not None and justification != record.justification:
            HistoryEntry.objects.create(
                collectivite=c,
                kind=Kind.JUSTIFICATION,
                subject=question_id,
                user_id=user.pk,
                previous=record.justification,
                new=justification,
            )
            record.justification = justification
        record.modified_by_id = user.pk
        record.save()
        if changed_valeur:
            consequences = _consequences(c, loaded)
            for referentiel in loaded.referentiels.values():
                score_set, live = _score_set(c, referentiel, version, loaded)
                live.set_consequences(consequences)
                _store(score_set, live)


def set_identite(
    collectivite: Collectivite,
    user: User,
    type: str | None = None,
    population: int | None = None,
    localisation: str | None = None,
) -> None:
    """Change what the identity tags come from (type, population, localisation), with its history,
    and rescore every référentiel (the rules' consequences depend on it)."""
    wanted: dict[str, Any] = {"type": type, "population": population, "localisation": localisation}
    changes = {k: v for k, v in wanted.items() if v is not None}
    fields = {f.name: f for f in Collectivite._meta.get_fields() if f.name in wanted}
    for name, value in changes.items():
        choices = getattr(fields[name], "choices", None)
        if choices and value not in [c[0] for c in choices]:
            raise InputError(name, f"valeur inconnue {value!r}")
        if name == "population" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InputError(name, "un nombre d'habitants entier et positif est attendu")
    version, loaded = _version()
    with transaction.atomic():
        c = _lock(collectivite)
        before = {k: getattr(c, k) for k in wanted}
        if all(before[k] == v for k, v in changes.items()):
            return
        for name, value in changes.items():
            setattr(c, name, value)
        c.save(update_fields=list(changes))
        HistoryEntry.objects.create(
            collectivite=c,
            kind=Kind.IDENTITE,
            subject="identite",
            user_id=user.pk,
            previous=before,
            new={k: getattr(c, k) for k in wanted},
        )
        consequences = _consequences(c, loaded)
        for referentiel in loaded.referentiels.values():
            score_set, live = _score_set(c, referentiel, version, loaded)
            live.set_consequences(consequences)
            _store(score_set, live)
    for name, value in changes.items():
        setattr(collectivite, name, value)
