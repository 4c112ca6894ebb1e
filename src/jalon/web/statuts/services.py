"""Writes of statuts, explications and answers, with their history and the stored scores.

Every write runs in one transaction that locks the collectivité, records the change in the history,
updates the scores through the engine's ``LiveScores`` and stores them. A process keeps the
``LiveScores`` of a collectivité between writes; it is taken out of the cache while a transaction uses
it and put back only on commit, so a rolled-back write never leaves changed numbers behind.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from jalon.evaluation import consequences_for, scoring_tree
from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles import Reponse as ReponseValue
from jalon.regles import check_reponse
from jalon.regles.consequences import Consequence
from jalon.scores.engine import ScoreValue
from jalon.scores.incremental import LiveScores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import identite, member_of_row, member_statement
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import (
    current_loaded,
    current_version,
    loaded_version,
    newest_version_sql,
    version_of_row,
)
from jalon.web.statuts import sql
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
    """A LiveScores and what it reflects: the score set's version and revision, and the collectivité's
    newest history entry (every write sets it to the entry it adds)."""

    version_id: int
    revision: int
    scores: LiveScores
    history_id: int


# Past this many changes made elsewhere, rebuilding costs less than catching up.
MAX_CATCH_UP = 200


_live: dict[tuple[int, str], _Live] = {}
_live_lock = threading.Lock()


def _take_live(score_set: ScoreSet, referentiel: Referentiel, loaded: Referentiels) -> _Live:
    """The LiveScores matching a stored score set, out of the cache (caught up or rebuilt when stale)."""
    key = (score_set.collectivite_id, score_set.referentiel)
    with _live_lock:
        cached = _live.pop(key, None)
    if cached is not None and cached.version_id == score_set.version_id:
        if cached.revision == score_set.revision:
            return cached
        if _catch_up(cached, score_set, referentiel):
            return cached
    entry = _new_live(score_set.collectivite_id, referentiel, loaded, score_set.version_id)
    # What is stored is what this LiveScores reported before: the next store then rewrites only the
    # nodes that differ (after another process wrote, or a restart), not the whole tree.
    entry.scores.assume_reported(
        dict(ScoreNode.objects.filter(score_set=score_set).values_list("action_id", "data"))
    )
    return entry


def _new_live(collectivite_id: int, referentiel: Referentiel, loaded: Referentiels, version_id: int) -> _Live:
    """A LiveScores built from the stored statuts, answers and identity (read under the collectivité's
    lock, so the newest history entry is the last change it reflects)."""
    c = Collectivite.objects.get(pk=collectivite_id)
    live = LiveScores(scoring_tree(referentiel), statuts_of(c, referentiel.id), _consequences(c, loaded))
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX(id) FROM {qn(HistoryEntry._meta.db_table)} WHERE collectivite_id = %s", [c.pk]
        )
        history_id = cursor.fetchone()[0] or 0
    return _Live(version_id, 0, live, history_id)


def _catch_up(cached: _Live, score_set: ScoreSet, referentiel: Referentiel) -> bool:
    """Bring a stale LiveScores up to date with the statuts written since by another process (several
    server processes, all writing one collectivité, would otherwise rebuild at nearly every write,
    ~50 ms on the official CAE). The history tells which statuts changed: writers of a collectivité
    hold its lock and every change of the scores' inputs writes an entry, so the entries newer than
    ``cached.history_id`` are exactly the changes it lacks. False (rebuild instead) when an answer or
    the identity changed, or too much did.

    What this LiveScores last reported is no longer what is stored for the nodes those changes
    touched (another process rewrote them): they are forgotten, so the next store rewrites them
    whatever their values. Comparing with the old report would skip a node that the missed changes
    plus the next one bring back to its old value while the store holds the intermediate one."""
    cid = score_set.collectivite_id
    batch = sql.Batch()  # one round trip on PostgreSQL, under the lock of every writer
    since = sql.read_history_since(batch, cid, cached.history_id, MAX_CATCH_UP + 1)
    written = sql.read_statuts_written_since(batch, cid, cached.history_id)
    batch.run()
    entries = batch.rows[since]
    if len(entries) > MAX_CATCH_UP or any(k in (Kind.REPONSE, Kind.IDENTITE) for _, k, _ in entries):
        return False
    changed = {s for _, k, s in entries if k == Kind.STATUT and s in referentiel.actions}
    records = sql.records_of(batch.rows[written])
    for action_id in changed:
        record = records.get(action_id)
        cached.scores.set_statut(action_id, None if record is None else statut_of(record))
    cached.scores.forget_reported(cached.scores.take_changed())
    cached.history_id = max([cached.history_id, *(i for i, _, _ in entries)])
    return True


def clear_live_scores() -> None:
    """Forget every cached LiveScores (tests whose database ids restart)."""
    with _live_lock:
        _live.clear()


def _put_live(key: tuple[int, str], entry: _Live) -> None:
    with _live_lock:
        _live[key] = entry


def _put_live_on_commit(score_set: ScoreSet, entry: _Live, committed: bool = False) -> None:
    """Put the LiveScores back in the cache once its transaction commits (``committed``: it did)."""
    entry.version_id, entry.revision = score_set.version_id, score_set.revision
    key = (score_set.collectivite_id, score_set.referentiel)
    if committed:
        _put_live(key, entry)
    else:
        transaction.on_commit(lambda: _put_live(key, entry))


def _score_set(
    collectivite_id: int,
    referentiel: Referentiel,
    version: ReferentielVersion,
    loaded: Referentiels,
    score_set: ScoreSet | None,
) -> tuple[ScoreSet, _Live]:
    """The score set read under the collectivité's lock (``score_set``, None if there is none yet),
    created or brought to the current version, and the LiveScores matching it."""
    if score_set is not None and score_set.version_id == version.pk:
        return score_set, _take_live(score_set, referentiel, loaded)
    entry = _new_live(collectivite_id, referentiel, loaded, version.pk)
    if score_set is None:
        score_set = ScoreSet(collectivite_id=collectivite_id, referentiel=referentiel.id, version=version)
    score_set.version = version
    return score_set, entry


def _locked_score_set(
    collectivite_id: int, referentiel: Referentiel, version: ReferentielVersion, loaded: Referentiels
) -> tuple[ScoreSet, _Live]:
    """Lock the collectivité, then ``_score_set``."""
    found = sql.lock_score_set(collectivite_id, referentiel.id)
    return _score_set(collectivite_id, referentiel, version, loaded, found)


def _store(score_set: ScoreSet, entry: _Live, batch: sql.Batch | None = None, commit: bool = False) -> None:
    """Store the rounded scores that moved (a statut change rewrites a few nodes, not the whole
    tree), with the statements already queued in ``batch``, then run it. ``commit``: the batch also
    ends the transaction the write opened itself (``sql.owns_transaction``)."""
    batch = batch or sql.Batch()
    live = entry.scores
    now = timezone.now()
    score_set.revision += 1
    if score_set.pk is None:
        created = sql.insert_score_set(batch, score_set, now)
        batch.run()
        score_set.pk = batch.rows[created][0][0]
        batch = sql.Batch()
    else:
        sql.bump_score_set(batch, score_set, now)
    changed = live.take_changed_scores()
    if len(changed) == live.tree.n:  # a new LiveScores reports every node: write them all
        sql.replace_nodes(batch, score_set.pk, changed)
    elif changed:
        sql.upsert_nodes(batch, score_set.pk, changed)
    if commit:
        batch.commit()
    batch.run()
    _put_live_on_commit(score_set, entry, committed=commit)


# SQLite has one writer at a time, and a connection that finds the database locked polls for it,
# sleeping up to 100 ms between tries: under load, the writers of one process queued that way made the
# slowest writes several times slower than the queue itself. They queue on this lock instead, woken at
# once.
_sqlite_writer = threading.Lock()


# Across processes, writers queue on an advisory lock of a file beside the database: the kernel wakes
# the next one when it is released, where SQLite's busy handler would poll. One open file per process
# and database (a lock belongs to the open file, which a forked child would otherwise share).
_lock_files: dict[tuple[int, str], int] = {}


def _sqlite_lock_file(database: str) -> int | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (os.getpid(), database)
    fd = _lock_files.get(key)
    if fd is None:
        fd = _lock_files[key] = os.open(f"{database}.writers", os.O_RDWR | os.O_CREAT, 0o600)
    return fd


# On PostgreSQL, the threads of a process that write one collectivité take turns on a lock of their
# own before the database's row lock. Queued on the row lock alone, the next writer was let in as soon
# as the previous one's COMMIT reached the server, before that thread had put the LiveScores back in
# the cache (on commit): it found none and rebuilt it (~50 ms on the CAE), so that several threads
# served fewer requests than one. Writers of different collectivités do not wait for each other.
_collectivite_writers: dict[int, threading.Lock] = {}


def _writer_of(collectivite_id: int) -> threading.Lock:
    with _live_lock:
        return _collectivite_writers.setdefault(collectivite_id, threading.Lock())


@contextmanager
def _writing(collectivite_id: int) -> Iterator[None]:
    """A write transaction of a collectivité; its writers in this process take their turn on a lock
    first (see above), and on SQLite every writer of the database."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    if connection.vendor != "sqlite":
        with _writer_of(collectivite_id), transaction.atomic():
            yield
        return
    with _sqlite_writer:
        fd = _sqlite_lock_file(str(connection.settings_dict["NAME"]))
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with transaction.atomic():
                yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def _statut_writing(collectivite_id: int) -> Iterator[bool]:
    """The transaction of a statut write, the most frequent one. True: the write opens and ends it
    itself, with its batches (``sql.owns_transaction``: on PostgreSQL, outside a transaction of
    Django's), its writers of the collectivité in this process taking turns as in ``_writing``; it is
    rolled back if anything fails. False: a transaction of ``_writing``."""
    if not sql.owns_transaction():
        with _writing(collectivite_id):
            yield False
        return
    with _writer_of(collectivite_id):
        try:
            yield True
        except BaseException:
            sql.end_own_transaction()
            raise
        if sql.in_transaction():  # never a write that did not commit passing for done
            sql.end_own_transaction()
            raise RuntimeError("une écriture de statut n'a pas terminé sa transaction")


def _lock(collectivite: Collectivite) -> Collectivite:
    # One writer per collectivité at a time (PostgreSQL row lock; SQLite's IMMEDIATE transactions
    # already serialise writers).
    return Collectivite.objects.select_for_update().get(pk=collectivite.pk)


def _version() -> tuple[ReferentielVersion, Referentiels]:
    return current_loaded()


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
    with _writing(collectivite.pk):
        score_set, entry = _locked_score_set(collectivite.pk, referentiel, version, loaded)
        _store(score_set, entry)
    return entry.scores.as_dict()


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


def _roots_statement(collectivite_id: int, version_id: int | None) -> tuple[str, list[Any]]:
    """The stored root scores of every référentiel of a version (None: the newest one), written by
    hand: every collectivité read asks, and building it with the ORM cost more than running it."""
    qn = connection.ops.quote_name
    if version_id is None:
        version = f"(SELECT MAX(id) FROM {qn(ReferentielVersion._meta.db_table)})"
        params: list[Any] = [collectivite_id]
    else:
        version, params = "%s", [collectivite_id, version_id]
    return (
        f"SELECT n.action_id, n.data, s.version_id FROM {qn(ScoreNode._meta.db_table)} n"
        f" JOIN {qn(ScoreSet._meta.db_table)} s ON n.score_set_id = s.id"
        f" WHERE s.collectivite_id = %s AND s.version_id = {version} AND n.action_id = s.referentiel",
        params,
    )


def _roots(
    collectivite: Collectivite,
    version: ReferentielVersion,
    referentiel_ids: list[str],
    rows: list[tuple[Any, ...]],
) -> dict[str, dict[str, ScoreValue]]:
    # The JSON comes back as text on both databases (Django reads PostgreSQL's jsonb as text).
    found = {
        a: orjson.loads(data) if isinstance(data, str) else data
        for a, data, version_id in rows
        if version_id == version.pk
    }
    return {
        ref: found[ref] if ref in found else root_scores(collectivite, ref)  # none stored yet: computed
        for ref in referentiel_ids
    }


def roots_scores(
    collectivite: Collectivite, version: ReferentielVersion, referentiel_ids: list[str]
) -> dict[str, dict[str, ScoreValue]]:
    """The stored root scores of several référentiels, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(*_roots_statement(collectivite.pk, version.pk))
        rows = cursor.fetchall()
    return _roots(collectivite, version, referentiel_ids, rows)


@dataclass(frozen=True)
class Overview:
    collectivite: Collectivite
    role: str
    version: ReferentielVersion | None
    roots: dict[str, dict[str, ScoreValue]]  # référentiel id → its root's scores


def overview(user: User, collectivite_id: int) -> Overview | None:
    """A collectivité, the user's role in it and the root scores of every référentiel of the current
    version: what every read of a collectivité shows, in one batch (one round trip on PostgreSQL
    instead of three). None when the user is not a member; the scores read with it are then
    dropped unseen."""
    assert user.pk is not None
    batch = sql.Batch()
    member = batch.add(*member_statement(user.pk, collectivite_id))
    newest = batch.add(newest_version_sql(), [])
    roots = batch.add(*_roots_statement(collectivite_id, None))
    batch.run()
    found = member_of_row(next(iter(batch.rows[member]), None))
    if found is None:
        return None
    c, role = found
    version = version_of_row(next(iter(batch.rows[newest]), None))
    if version is None:
        return Overview(c, role, None, {})
    # A version imported between the statements leaves rows of another version: they are not used.
    referentiel_ids = list(loaded_version(version).referentiels)
    return Overview(c, role, version, _roots(c, version, referentiel_ids, batch.rows[roots]))


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


def check_characters(field: str, text: str) -> None:
    """Refuse what no database stores as text: a NUL character (PostgreSQL refuses it) and a lone
    UTF-16 surrogate (``"\\ud800"`` in JSON: it has no UTF-8 encoding). Raises InputError."""
    if "\x00" in text:
        raise InputError(field, "le caractère nul (U+0000) n'est pas accepté")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            field, "texte invalide : il contient une demi-paire de substitution UTF-16"
        ) from None


def check_text(field: str, text: str) -> None:
    """A free text as stored: at most MAX_TEXT characters, each one storable. Raises InputError."""
    check_characters(field, text)
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
    touched = [action_id, *_ancestors(referentiel, action_id)]
    sous_mesure = action.parent
    cascade = action.depth > referentiel.action_level + 1 and sous_mesure is not None
    # The statut rows of the action and of its sous-mesure (cascade).
    wanted = [action_id, sous_mesure] if cascade and sous_mesure is not None else [action_id]
    cid = collectivite.pk
    # In a transaction of the caller's, what this write reads may be changes that transaction will
    # still roll back.
    outermost = not connection.in_atomic_block
    with _statut_writing(cid) as own:
        # What the write needs, read under the lock in one batch (one round trip on PostgreSQL).
        reads = sql.Batch(begin=own)
        locked = sql.lock(reads, cid)
        found = sql.read_score_set(reads, cid, referentiel.id)
        stored = sql.read_statuts(reads, cid, wanted)
        reads.run()
        sql.check_locked(reads, locked, cid)
        stored_set = sql.score_set_of(reads.rows[found], cid, referentiel.id)
        score_set, entry = _score_set(cid, referentiel, version, loaded, stored_set)
        live = entry.scores
        if live.desactive(action_id):
            if outermost and stored_set is not None and stored_set.version_id == version.pk:
                # Unchanged, it still matches what is stored: back in the cache, not rebuilt next time.
                _put_live_on_commit(score_set, entry, committed=True)
            raise InputError("action_id", f"l'action {action_id} est désactivée par la personnalisation")
        olds = {a: statut_value(r) for a, r in sql.records_of(reads.rows[stored]).items()}
        # Then everything it writes, in one batch too.
        write = _StatutWrite(cid, user.pk, referentiel.id, entry, timezone.now(), sql.Batch())
        write.put(action_id, olds.get(action_id), new)
        reset: list[str] = []
        if cascade and sous_mesure is not None:
            # Cascade: a tâche's statut makes the sous-mesure scored from its tâches again.
            if write.put(sous_mesure, olds.get(sous_mesure), None):
                reset.append(sous_mesure)
        _store(score_set, entry, write.batch, commit=own)
        write.done()
        # Read while this write still holds the collectivité in this process: past that, the cached
        # LiveScores is the next writer's to change.
        scores = {a: live.score(a) for a in touched}
    return StatutChange(action_id, statut_value(new), tuple(reset), scores)


def _ancestors(referentiel: Referentiel, action_id: str) -> list[str]:
    out = []
    parent = referentiel.actions[action_id].parent
    while parent is not None:
        out.append(parent)
        parent = referentiel.actions[parent].parent
    return out


@dataclass
class _StatutWrite:
    """The statut writes of one transaction (who, where, when), queued in ``batch``, and the
    LiveScores they update."""

    collectivite_id: int
    user_id: int | None
    referentiel_id: str
    entry: _Live
    now: datetime
    batch: sql.Batch
    logged: list[int] = field(default_factory=list)  # where the batch's rows hold history ids

    def put(self, action_id: str, before: dict[str, Any] | None, new: StatutRecord | None) -> bool:
        """Queue one statut row (``before``: its stored value) and its history, and update the live
        scores; False when nothing changed."""
        after = statut_value(new)
        if before == after:
            return False
        sql.put_statut(
            self.batch, self.collectivite_id, self.referentiel_id, action_id, new, self.user_id, self.now
        )
        c, user, now = self.collectivite_id, self.user_id, self.now
        self.logged.append(sql.add_history(self.batch, c, Kind.STATUT, action_id, user, before, after, now))
        self.entry.scores.set_statut(action_id, None if new is None else statut_of(new))
        return True

    def done(self) -> None:
        """After the batch ran: the LiveScores reflects the history up to the newest entry added."""
        if self.logged:
            self.entry.history_id = max(self.batch.rows[i][0][0] for i in self.logged)


def set_explication(collectivite: Collectivite, user: User, action_id: str, texte: str) -> None:
    check_text("texte", texte)
    _, loaded = _version()
    _find_action(loaded, action_id)
    with _writing(collectivite.pk):
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


class _Keep:
    """The type of KEEP."""


KEEP = _Keep()  # set_reponse's valeur: leave the answer as it is


def set_reponse(
    collectivite: Collectivite,
    user: User,
    question_id: str,
    valeur: str | float | _Keep | None,
    justification: str | None = None,
) -> None:
    """Answer a question (None removes the answer, KEEP leaves it unchanged) and/or change its
    justification (None leaves it unchanged); rescore every référentiel the new consequences touch."""
    version, loaded = _version()
    if question_id not in loaded.questions:
        raise InputError("question_id", f"question inconnue : {question_id!r}")
    if isinstance(valeur, str):
        check_characters("valeur", valeur)
    if isinstance(valeur, bool):
        raise InputError("valeur", "une réponse est OUI, NON, l'identifiant d'un choix ou une proportion")
    if isinstance(valeur, int):
        valeur = float(valeur)
    if valeur is not None and not isinstance(valeur, _Keep):
        why = check_reponse(loaded, question_id, valeur)
        if why is not None:
            raise InputError("valeur", why)
    if justification is not None:
        check_text("justification", justification)
    with _writing(collectivite.pk):
        c = _lock(collectivite)
        old = Reponse.objects.filter(collectivite=c, question_id=question_id).first()
        record = old or Reponse(collectivite=c, question_id=question_id, valeur=None)
        if isinstance(valeur, _Keep):
            valeur = record.valeur
        changed_valeur = record.valeur != valeur
        if changed_valeur:
            logged = HistoryEntry.objects.create(
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
                score_set, entry = _locked_score_set(c.pk, referentiel, version, loaded)
                entry.scores.set_consequences(consequences)
                # The justification's entry, if any, is newer but changes no score.
                entry.history_id = max(entry.history_id, logged.pk)
                _store(score_set, entry)


def set_identite(
    collectivite: Collectivite,
    user: User,
    type: str | None = None,
    population: int | None = None,
    localisation: str | None = None,
    nom: str | None = None,
) -> None:
    """Change the collectivité's name and what its identity tags come from (type, population,
    localisation), each with its history entry; a new identity rescores every référentiel (the rules'
    consequences depend on it), a new name alone rescores nothing."""
    wanted: dict[str, Any] = {"type": type, "population": population, "localisation": localisation}
    changes = {k: v for k, v in wanted.items() if v is not None}
    fields = {f.name: f for f in Collectivite._meta.get_fields() if f.name in wanted}
    for name, value in changes.items():
        choices = getattr(fields[name], "choices", None)
        if choices and value not in [c[0] for c in choices]:
            raise InputError(name, f"valeur inconnue {value!r}")
        if name == "population" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InputError(name, "un nombre d'habitants entier et positif est attendu")
    if nom is not None:
        check_characters("nom", nom)
        nom = nom.strip()
        longest = Collectivite._meta.get_field("nom").max_length or 0
        if not nom or len(nom) > longest:
            raise InputError("nom", f"entre 1 et {longest} caractères")
    version, loaded = _version()
    with _writing(collectivite.pk):
        c = _lock(collectivite)
        if nom is not None and nom != c.nom:
            # Written before the identity's entry: that one, the newest, is what the scores reflect.
            HistoryEntry.objects.create(
                collectivite=c, kind=Kind.NOM, subject="nom", user_id=user.pk, previous=c.nom, new=nom
            )
            c.nom = nom
            c.save(update_fields=["nom"])
        before = {k: getattr(c, k) for k in wanted}
        if all(before[k] == v for k, v in changes.items()):
            collectivite.nom = c.nom  # renamed, or nothing changed: no rescoring
            return
        for name, value in changes.items():
            setattr(c, name, value)
        c.save(update_fields=list(changes))
        logged = HistoryEntry.objects.create(
            collectivite=c,
            kind=Kind.IDENTITE,
            subject="identite",
            user_id=user.pk,
            previous=before,
            new={k: getattr(c, k) for k in wanted},
        )
        consequences = _consequences(c, loaded)
        for referentiel in loaded.referentiels.values():
            score_set, entry = _locked_score_set(c.pk, referentiel, version, loaded)
            entry.scores.set_consequences(consequences)
            entry.history_id = max(entry.history_id, logged.pk)
            _store(score_set, entry)
    collectivite.nom = c.nom
    for name, value in changes.items():
        setattr(collectivite, name, value)
