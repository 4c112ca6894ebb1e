"""The write primitive: every change of a collectivité's state goes through ``change``.

    with change(collectivite_id, user_id) as w:
        before = w.scored(referentiel)        # the state the change starts from, scored
        ...checks; raise InputError to refuse: nothing is written...
        w.put_statut(referentiel, action_id, value)

One transaction; the collectivité's lock (PostgreSQL's row lock; SQLite's IMMEDIATE transaction holds
the database's write lock), read in one batch with the référentiels' locks (``VerrouValue``: during an
audit only its auditors change statuts, explications and answers, else ``Locked``); the change; its
history entries (``Write.record``, the only writer of the history); the stored scores of every
référentiel the change touched brought up to date; a bump of the collectivité's revision. A refused
or failed write leaves nothing.

Scores are kept by the engine's ``LiveScores``, which updates only what a change reaches; the nodes
it reports as moved are rewritten. The ``LiveScores`` a write leaves is remembered by the process
under the revision the write stores, so that the next write of the collectivité starts from it. That
memo is never the source of truth. A revision is a random number drawn by each write, not a counter:
a write that fails or is rolled back leaves the stored revision as it was, and no other write, in any
process, ever stores the number it drew, so what is remembered under it is never taken for another
state. The entry can therefore be put back before the commit, where the next writer, waiting for the
lock, finds it. A miss (another process wrote, a restart, an eviction) reads the stored state and
builds new live scores (a couple of milliseconds on the official CAE). The memo is bounded (least
recently used dropped).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jalon.evaluation import consequences_for, scoring_tree
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles import Reponse as ReponseValue
from jalon.regles import referentiels_reading
from jalon.regles.consequences import Consequence
from jalon.scores.engine import ScoreValue
from jalon.scores.incremental import LiveScores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut
from jalon.web.collectivites.models import Collectivite, identite_tags
from jalon.web.errors import Locked
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts import sql
from jalon.web.statuts.models import Kind
from jalon.web.statuts.sql import StatutValue


class Keep:
    """The type of KEEP."""


KEEP = Keep()  # put_reponse's valeur: leave the answer as it is


def _answers(rows: list[sql.Row]) -> dict[str, ReponseValue]:
    return {q: value for q, v in rows if (value := sql.json_of(v)) is not None}


_PLAIN = {"fait": FAIT, "programme": PROGRAMME, "pas_fait": PAS_FAIT, "non_concerne": NON_CONCERNE}


def statut_of(value: StatutValue) -> Statut:
    """The engine's statut of a stored value."""
    detaille = value.get("detaille")
    if detaille is not None:
        fait, programme, pas_fait = detaille
        return Statut.detaille(fait / 100, programme / 100, pas_fait / 100)
    return _PLAIN[value["avancement"]]


@dataclass(frozen=True)
class VerrouValue:
    """A référentiel's lock as stored (``models.Verrou``): who alone writes it, and why (French)."""

    auteurs: frozenset[int]
    motif: str

    def refuses(self, user_id: int | None) -> bool:
        return user_id not in self.auteurs


def motif_verrou(
    verrous: Mapping[str, VerrouValue], user_id: int | None, referentiel_ids: Iterable[str]
) -> str | None:
    """Why one of these référentiels is locked against the user (French), or None when none is."""
    for referentiel_id in sorted(referentiel_ids):
        found = verrous.get(referentiel_id)
        if found is not None and found.refuses(user_id):
            return found.motif
    return None


@dataclass
class Scored:
    """A référentiel's state for one collectivité and its live scores: what a write starts from and
    changes, and what the memo keeps (used by one write at a time: taken out of the memo)."""

    referentiel: Referentiel
    version_id: int
    score_set_id: int | None  # None: no scores stored yet
    stored_version_id: int | None  # the version the stored scores were computed with
    statuts: dict[str, StatutValue]
    live: LiveScores

    def desactive(self, action_id: str) -> bool:
        return action_id in self.live.tree.index and self.live.desactive(action_id)

    def score(self, action_id: str) -> dict[str, ScoreValue]:
        return self.live.score(action_id)

    def as_dict(self) -> dict[str, dict[str, ScoreValue]]:
        """The rounded scores of every node."""
        return self.live.as_dict()


def _live(
    referentiel: Referentiel, statuts: Mapping[str, StatutValue], consequences: Mapping[str, Consequence]
) -> LiveScores:
    """Live scores of a stored state, as stored: none of its nodes is to be rewritten yet."""
    statut_values = {a: statut_of(v) for a, v in statuts.items()}
    live = LiveScores(scoring_tree(referentiel), statut_values, consequences)
    live.take_changed()
    return live


# -- the memo of scored states, per process --------------------------------------------------------

_memo: OrderedDict[tuple[int, str], tuple[int, Scored]] = OrderedDict()
_memo_lock = threading.Lock()  # the server's threads share it


def _memo_size() -> int:
    return int(settings.JALON_SCORED_STATES_KEPT)


def _take(collectivite_id: int, referentiel_id: str, revision: int, version_id: int) -> Scored | None:
    """The remembered state of this revision, out of the memo (a write changes it)."""
    with _memo_lock:
        found = _memo.pop((collectivite_id, referentiel_id), None)
    if found is None or found[0] != revision or found[1].version_id != version_id:
        return None
    return found[1]


def _remember(collectivite_id: int, revision: int, new_revision: int, scored: list[Scored]) -> None:
    """After a write from ``revision`` to ``new_revision``: the states it took, under the new one; the
    référentiels it did not touch keep theirs, under the new one too."""
    size = _memo_size()
    with _memo_lock:
        for key, (at, kept) in list(_memo.items()):
            if key[0] == collectivite_id and at == revision:
                _memo[key] = (new_revision, kept)
        for state in scored:
            key = (collectivite_id, state.referentiel.id)
            _memo[key] = (new_revision, state)
            _memo.move_to_end(key)
        while len(_memo) > size:
            _memo.popitem(last=False)


def forget_scored_states() -> None:
    """Empty this process's memo (tests whose database ids restart)."""
    with _memo_lock:
        _memo.clear()


# -- the primitive ----------------------------------------------------------------------------------


@dataclass
class Write:
    """One write of a collectivité's state, under its lock (see ``change``)."""

    collectivite_id: int
    user_id: int | None
    version: ReferentielVersion | None  # None: the current one, read when first needed
    loaded: Referentiels | None
    revision: int  # the stored revision, read under the lock
    nom: str
    cot: bool  # under a Contrat d'Objectif Territorial
    identite: dict[str, Any]  # type, population, localisation as stored
    verrous: dict[str, VerrouValue]  # référentiel id → its lock, read under the collectivité's lock
    batch: sql.Batch = field(default_factory=sql.Batch)  # the writes, run at the end
    now: Any = field(default_factory=timezone.now)
    _taken: dict[str, Scored] = field(default_factory=dict)  # référentiel id → its state, changed here
    _reponses: dict[str, ReponseValue] | None = None  # read on demand
    _rules_changed: bool = False
    _collectivite_fields: dict[str, Any] = field(default_factory=dict)
    _changed: bool = False  # something to write: the revision moves

    # -- reading the state the write starts from --

    def referentiels(self) -> tuple[ReferentielVersion, Referentiels]:
        """The référentiel version this write scores with (the current one unless given)."""
        if self.version is None or self.loaded is None:
            self.version, self.loaded = current_loaded()
        return self.version, self.loaded

    def scored(self, referentiel: Referentiel) -> Scored:
        """The référentiel's state before this write, scored (from the memo, or read and scored)."""
        found = self._taken.get(referentiel.id)
        if found is not None:
            return found
        cid = self.collectivite_id
        version, _ = self.referentiels()
        found = _take(cid, referentiel.id, self.revision, version.pk)
        if found is None:
            batch = sql.Batch()
            score_set = sql.read_score_set(batch, cid, referentiel.id)
            statuts = sql.read_statuts(batch, cid, referentiel.id)
            reponses = sql.read_reponses(batch, cid) if self._reponses is None else None
            batch.run()
            if reponses is not None:
                self._reponses = _answers(batch.rows[reponses])
            values = sql.statut_values(batch.rows[statuts])
            stored = batch.rows[score_set]
            found = Scored(
                referentiel=referentiel,
                version_id=version.pk,
                score_set_id=stored[0][0] if stored else None,
                stored_version_id=stored[0][1] if stored else None,
                statuts=values,
                live=_live(referentiel, values, self._consequences()),
            )
        self._taken[referentiel.id] = found
        return found

    def _answers(self) -> dict[str, ReponseValue]:
        if self._reponses is None:
            batch = sql.Batch()
            rows = sql.read_reponses(batch, self.collectivite_id)
            batch.run()
            self._reponses = _answers(batch.rows[rows])
        return self._reponses

    def _consequences(self) -> dict[str, Consequence]:
        ident = identite_tags(**{k: self.identite[k] for k in sql.IDENTITE_COLUMNS})
        return consequences_for(self.referentiels()[1], ident, self._answers())

    def _before_rules_change(self) -> None:
        """Every référentiel's state before a change of the rules' inputs (answers, identity): all
        of them are rescored."""
        for referentiel in self.referentiels()[1].referentiels.values():
            self.scored(referentiel)
        self._rules_changed = True

    # -- changes --

    def record(self, kind: str, subject: str, previous: Any, new: Any) -> None:
        """The history entry of a change: the only way anything enters the history."""
        self._changed = True
        sql.add_history(
            self.batch, self.collectivite_id, kind, subject, self.user_id, previous, new, self.now
        )

    def statut(self, referentiel: Referentiel, action_id: str) -> StatutValue | None:
        """The statut of an action as this write leaves it so far."""
        return self.scored(referentiel).statuts.get(action_id)

    def check_verrous(self, field: str, referentiel_ids: Iterable[str]) -> None:
        """Raise ``Locked`` when one of these référentiels is locked against this write's user."""
        motif = motif_verrou(self.verrous, self.user_id, referentiel_ids)
        if motif is not None:
            raise Locked(field, motif)

    def put_statut(self, referentiel: Referentiel, action_id: str, value: StatutValue | None) -> bool:
        """Set (None: remove) the statut of an action, with its history entry; False when it
        already was that. ``Locked`` when the référentiel is locked against the user."""
        self.check_verrous("action_id", [referentiel.id])
        before = self.statut(referentiel, action_id)
        if before == value:
            return False
        sql.put_statut(
            self.batch, self.collectivite_id, referentiel.id, action_id, value, self.user_id, self.now
        )
        self.record(Kind.STATUT, action_id, before, value)
        state = self.scored(referentiel)
        if value is None:
            state.statuts.pop(action_id, None)
        else:
            state.statuts[action_id] = value
        state.live.set_statut(action_id, None if value is None else statut_of(value))
        return True

    def put_explication(self, action_id: str, texte: str) -> bool:
        """Set an action's explication, with its history entry; False when it already was that.
        ``Locked`` when the action's référentiel is locked against the user."""
        if self.verrous:
            referentiel = self.referentiels()[1].referentiel_of(action_id)
            self.check_verrous("action_id", [] if referentiel is None else [referentiel.id])
        batch = sql.Batch()
        row = sql.read_explication(batch, self.collectivite_id, action_id)
        batch.run()
        before = batch.rows[row][0][0] if batch.rows[row] else ""
        if before == texte:
            return False
        sql.put_explication(self.batch, self.collectivite_id, action_id, texte, self.user_id, self.now)
        self.record(Kind.EXPLICATION, action_id, before, texte)
        return True

    def put_reponse(
        self, question_id: str, valeur: ReponseValue | Keep | None, justification: str | None
    ) -> None:
        """Set an answer (None removes it, KEEP leaves it) and/or its justification (None leaves
        it), each change with its history entry; a new answer rescores every référentiel. ``Locked``
        when a référentiel whose rules read the question is locked against the user."""
        if self.verrous:
            self.check_verrous("question_id", referentiels_reading(self.referentiels()[1], question_id))
        batch = sql.Batch()
        row = sql.read_reponse(batch, self.collectivite_id, question_id)
        batch.run()
        found = batch.rows[row]
        old_valeur = sql.json_of(found[0][0]) if found else None
        old_justification = found[0][1] if found else ""
        new_valeur = old_valeur if isinstance(valeur, Keep) else valeur
        new_justification = old_justification if justification is None else justification
        if new_valeur == old_valeur and new_justification == old_justification:
            return
        if new_valeur != old_valeur:
            self._before_rules_change()
            self.record(Kind.REPONSE, question_id, old_valeur, new_valeur)
            answers = self._answers()
            if new_valeur is None:
                answers.pop(question_id, None)
            else:
                answers[question_id] = new_valeur
        if new_justification != old_justification:
            self.record(Kind.JUSTIFICATION, question_id, old_justification, new_justification)
        sql.put_reponse(
            self.batch,
            self.collectivite_id,
            question_id,
            new_valeur,
            new_justification,
            self.user_id,
            self.now,
        )

    def put_identite(self, fields: dict[str, Any]) -> bool:
        """New identity fields (type, population, localisation), with the history entry; every
        référentiel is rescored. False when nothing changes."""
        previous = dict(self.identite)
        new = {**previous, **fields}
        if new == previous:
            return False
        self._before_rules_change()
        self.identite.update(fields)
        self._collectivite_fields.update(fields)
        self.record(Kind.IDENTITE, "identite", previous, new)
        return True

    def rename(self, nom: str) -> bool:
        """A new name for the collectivité, with the history entry; False when it already was that."""
        if nom == self.nom:
            return False
        self.record(Kind.NOM, "nom", self.nom, nom)
        self._collectivite_fields["nom"] = nom
        self.nom = nom
        return True

    def set_cot(self, cot: bool) -> bool:
        """Whether the collectivité is under a COT, with the history entry; False when unchanged."""
        if cot == self.cot:
            return False
        self.record(Kind.COT, "cot", self.cot, cot)
        self._collectivite_fields["cot"] = cot
        self.cot = cot
        return True

    def verrouiller(self, referentiel_id: str, auteurs: Iterable[int], motif: str) -> None:
        """Lock a référentiel (or change who holds its lock): only ``auteurs`` change its statuts,
        explications and answers until ``deverrouiller``. The caller records why in the history."""
        value = VerrouValue(frozenset(auteurs), motif)
        if self.verrous.get(referentiel_id) == value:
            return
        sql.put_verrou(self.batch, self.collectivite_id, referentiel_id, sorted(value.auteurs), motif)
        self.verrous[referentiel_id] = value
        self._changed = True

    def deverrouiller(self, referentiel_id: str) -> None:
        """Remove a référentiel's lock: the members' roles decide again."""
        if self.verrous.pop(referentiel_id, None) is None:
            return
        sql.delete_verrou(self.batch, self.collectivite_id, referentiel_id)
        self._changed = True

    def store_scores(self, referentiel: Referentiel) -> None:
        """Make sure the référentiel's scores are stored for the current version."""
        self.scored(referentiel)

    # -- the end of the write --

    def finish(self) -> int:
        """Queue the stored scores' changes and the revision's bump, run the writes; the revision
        this write leaves (unchanged when nothing changed)."""
        if self._rules_changed:
            consequences = self._consequences()
            for state in self._taken.values():
                state.live.set_consequences(consequences)
        for state in self._taken.values():
            self._store(state)
        if not self._changed:
            return self.revision
        revision = secrets.randbits(63)
        sql.update_collectivite(self.batch, self.collectivite_id, revision, self._collectivite_fields)
        self.batch.run()
        return revision

    def _store(self, state: Scored) -> None:
        """Queue the writes that make the stored scores those of ``state``."""
        moved = state.live.take_changed()
        if state.score_set_id is None:
            created = sql.Batch()
            row = sql.insert_score_set(created, self.collectivite_id, state.referentiel.id, state.version_id)
            created.run()
            state.score_set_id = created.rows[row][0][0]
        if state.stored_version_id != state.version_id:
            self._changed = True
            sql.replace_nodes(self.batch, state.score_set_id, state.version_id, state.live.as_dict())
            state.stored_version_id = state.version_id
        elif moved:
            self._changed = True
            sql.upsert_nodes(self.batch, state.score_set_id, {a: state.live.score(a) for a in moved})

    @property
    def after(self) -> dict[str, Scored]:
        """The states of the référentiels this write read, as it leaves them."""
        return self._taken


@contextmanager
def change(
    collectivite_id: int,
    user_id: int | None,
    version: ReferentielVersion | None = None,
    loaded: Referentiels | None = None,
) -> Iterator[Write]:
    """The write primitive (see the module's docstring). Raises ``Collectivite.DoesNotExist`` when
    the collectivité is gone."""
    with transaction.atomic():
        batch = sql.Batch()
        locked = sql.lock(batch, collectivite_id)
        verrous = sql.read_verrous(batch, collectivite_id)  # after the lock: what its holder committed
        batch.run()
        if not batch.rows[locked]:
            raise Collectivite.DoesNotExist(f"collectivité {collectivite_id}")
        revision, nom, cot, *ident = batch.rows[locked][0]
        write = Write(
            collectivite_id,
            user_id,
            version,
            loaded,
            revision,
            nom,
            bool(cot),
            dict(zip(sql.IDENTITE_COLUMNS, ident, strict=True)),
            {
                referentiel: VerrouValue(frozenset(sql.json_of(auteurs)), motif)
                for referentiel, auteurs, motif in batch.rows[verrous]
            },
        )
        yield write
        _remember(collectivite_id, revision, write.finish(), list(write.after.values()))
