"""The write primitive: every change of a collectivité's state goes through ``change``.

    with change(collectivite_id, user_id) as w:
        before = w.scored(referentiel)        # the state the change starts from, scored
        ...checks; raise InputError to refuse: nothing is written...
        w.put_statut(referentiel, action_id, value)

One transaction; the collectivité's lock (PostgreSQL's row lock; SQLite's IMMEDIATE transaction holds
the database's write lock); the change; its history entries (``Write.record``, the only writer of the
history); the stored scores of every référentiel the change touched brought up to date; a bump of
the collectivité's revision. A refused or failed write leaves nothing.

Scores come from full evaluations: the state before the change and the state after are both scored,
and the stored nodes whose rounded scores differ are rewritten (``Scores.changed_since``). What was
scored after a write is remembered by the process, keyed by the collectivité's revision, so that the
next write of the same collectivité starts from it instead of reading and scoring its state again.
That memo is never the source of truth: a write of another process bumps the revision, and a miss
reads the stored state. It is bounded (least recently used dropped).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jalon.evaluation import consequences_for, scoring_tree
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles import Reponse as ReponseValue
from jalon.regles.consequences import Consequence
from jalon.scores.engine import Scores, compute_scores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut
from jalon.web.collectivites.models import Collectivite, identite_tags
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
class Scored:
    """A référentiel's state for one collectivité and its scores: what a write starts from and what
    the memo keeps. Never changed once built (a write builds the next one)."""

    referentiel: Referentiel
    version_id: int
    score_set_id: int | None  # None: no scores stored yet
    stored_version_id: int | None  # the version the stored scores were computed with
    statuts: Mapping[str, StatutValue]
    consequences: Mapping[str, Consequence]
    scores: Scores

    def desactive(self, action_id: str) -> bool:
        i = self.scores.tree.index.get(action_id)
        return i is not None and bool(self.scores.desactive[i])


def _evaluate(
    referentiel: Referentiel, statuts: Mapping[str, StatutValue], consequences: Mapping[str, Consequence]
) -> Scores:
    return compute_scores(
        scoring_tree(referentiel), {a: statut_of(v) for a, v in statuts.items()}, consequences
    )


# -- the memo of scored states, per process --------------------------------------------------------

_memo: OrderedDict[tuple[int, str], tuple[int, Scored]] = OrderedDict()
_memo_lock = threading.Lock()  # the server's threads share it


def _memo_size() -> int:
    return int(getattr(settings, "JALON_SCORED_STATES_KEPT", 256))


def _recall(collectivite_id: int, referentiel_id: str, revision: int, version_id: int) -> Scored | None:
    with _memo_lock:
        found = _memo.get((collectivite_id, referentiel_id))
        if found is None or found[0] != revision or found[1].version_id != version_id:
            return None
        _memo.move_to_end((collectivite_id, referentiel_id))
        return found[1]


def _remember(collectivite_id: int, revision: int, scored: list[Scored]) -> None:
    """After a write from ``revision`` committed: its scored states, at the next revision; the
    référentiels it did not touch keep theirs, now at the next revision too."""
    size = _memo_size()
    with _memo_lock:
        for key, (at, kept) in list(_memo.items()):
            if key[0] == collectivite_id and at == revision:
                _memo[key] = (revision + 1, kept)
        for state in scored:
            key = (collectivite_id, state.referentiel.id)
            _memo[key] = (revision + 1, state)
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
    identite: dict[str, Any]  # type, population, localisation as stored
    batch: sql.Batch = field(default_factory=sql.Batch)  # the writes, run at the end
    now: Any = field(default_factory=timezone.now)
    _before: dict[str, Scored] = field(default_factory=dict)
    _statuts: dict[str, dict[str, StatutValue | None]] = field(default_factory=dict)  # what is written
    _reponses: dict[str, ReponseValue] | None = None  # read on demand
    _rules_changed: bool = False
    _collectivite_fields: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Scored] = field(default_factory=dict)  # référentiel id → scored state, once finished
    _changed: bool = False  # something to write: the revision moves

    # -- reading the state the write starts from --

    def referentiels(self) -> tuple[ReferentielVersion, Referentiels]:
        """The référentiel version this write scores with (the current one unless given)."""
        if self.version is None or self.loaded is None:
            self.version, self.loaded = current_loaded()
        return self.version, self.loaded

    def scored(self, referentiel: Referentiel) -> Scored:
        """The référentiel's state before this write, scored (from the memo, or read and scored)."""
        found = self._before.get(referentiel.id)
        if found is not None:
            return found
        cid = self.collectivite_id
        version, _ = self.referentiels()
        found = _recall(cid, referentiel.id, self.revision, version.pk)
        if found is None:
            batch = sql.Batch()
            score_set = sql.read_score_set(batch, cid, referentiel.id)
            statuts = sql.read_statuts(batch, cid, referentiel.id)
            reponses = sql.read_reponses(batch, cid) if self._reponses is None else None
            batch.run()
            if reponses is not None:
                self._reponses = _answers(batch.rows[reponses])
            values = sql.statut_values(batch.rows[statuts])
            consequences = self._consequences()
            stored = batch.rows[score_set]
            found = Scored(
                referentiel=referentiel,
                version_id=version.pk,
                score_set_id=stored[0][0] if stored else None,
                stored_version_id=stored[0][1] if stored else None,
                statuts=values,
                consequences=consequences,
                scores=_evaluate(referentiel, values, consequences),
            )
        self._before[referentiel.id] = found
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
        written = self._statuts.get(referentiel.id, {})
        if action_id in written:
            return written[action_id]
        return self.scored(referentiel).statuts.get(action_id)

    def put_statut(self, referentiel: Referentiel, action_id: str, value: StatutValue | None) -> bool:
        """Set (None: remove) the statut of an action, with its history entry; False when it
        already was that."""
        before = self.statut(referentiel, action_id)
        if before == value:
            return False
        sql.put_statut(
            self.batch, self.collectivite_id, referentiel.id, action_id, value, self.user_id, self.now
        )
        self.record(Kind.STATUT, action_id, before, value)
        self._statuts.setdefault(referentiel.id, {})[action_id] = value
        return True

    def put_explication(self, action_id: str, texte: str) -> bool:
        """Set an action's explication, with its history entry; False when it already was that."""
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
        it), each change with its history entry; a new answer rescores every référentiel."""
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

    def store_scores(self, referentiel: Referentiel) -> None:
        """Make sure the référentiel's scores are stored for the current version."""
        self.scored(referentiel)

    # -- the end of the write --

    def finish(self) -> list[Scored] | None:
        """Queue the stored scores' changes and the revision's bump, run the writes; the scored
        states to remember once committed (None: nothing was changed, the revision stays)."""
        consequences = self._consequences() if self._rules_changed else None
        for ref_id, before in self._before.items():
            written = self._statuts.get(ref_id)
            now = before
            if written or consequences is not None:
                statuts = dict(before.statuts)
                for action_id, value in (written or {}).items():
                    if value is None:
                        statuts.pop(action_id, None)
                    else:
                        statuts[action_id] = value
                own = before.consequences if consequences is None else consequences
                now = replace(
                    before,
                    statuts=statuts,
                    consequences=own,
                    scores=_evaluate(before.referentiel, statuts, own),
                )
            self.after[ref_id] = self._store(before, now)
        if not self._changed:
            return None
        revision = self.revision + 1
        sql.update_collectivite(self.batch, self.collectivite_id, revision, self._collectivite_fields)
        self.batch.run()
        return list(self.after.values())

    def _store(self, before: Scored, now: Scored) -> Scored:
        """Queue the writes that make the stored scores those of ``now``."""
        score_set_id = before.score_set_id
        if score_set_id is None:
            created = sql.Batch()
            row = sql.insert_score_set(created, self.collectivite_id, now.referentiel.id, now.version_id)
            created.run()
            score_set_id = created.rows[row][0][0]
        if before.stored_version_id != now.version_id or before.score_set_id is None:
            self._changed = True
            sql.replace_nodes(self.batch, score_set_id, now.version_id, now.scores.as_dict())
        else:
            changed = now.scores.changed_since(before.scores)
            if changed:
                self._changed = True
                sql.upsert_nodes(self.batch, score_set_id, changed)
        return replace(now, score_set_id=score_set_id, stored_version_id=now.version_id)


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
        batch.run()
        if not batch.rows[locked]:
            raise Collectivite.DoesNotExist(f"collectivité {collectivite_id}")
        revision, nom, *ident = batch.rows[locked][0]
        write = Write(
            collectivite_id,
            user_id,
            version,
            loaded,
            revision,
            nom,
            dict(zip(sql.IDENTITE_COLUMNS, ident, strict=True)),
        )
        yield write
        remembered = write.finish()
        if remembered is not None:
            transaction.on_commit(lambda: _remember(collectivite_id, revision, remembered))
