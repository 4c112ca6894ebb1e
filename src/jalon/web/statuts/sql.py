"""The hand-written statements of the statut write path, and the batches that send them.

Every write of a statut runs these while it holds the collectivité's lock, so their cost is the
length of the queue of writers: building them with the ORM cost several times more than running them,
and on PostgreSQL each round trip to the server costs more than the statement (README, Web
performance). A write therefore sends two batches: what it reads under the lock, then what it writes.
Same statements on SQLite and PostgreSQL (``ON CONFLICT``, ``RETURNING``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts.models import HistoryEntry, Kind, ScoreNode, ScoreSet, StatutRecord

Row = tuple[Any, ...]


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Batch:
    """Statements run in order, their rows kept by position. On PostgreSQL they go as one query
    string, one round trip (each statement still takes its own snapshot, after the previous one
    ended: a read placed after a lock sees what the writer it waited for committed). On SQLite,
    in the process, there is no round trip to save: one by one."""

    def __init__(self, begin: bool = False) -> None:
        """``begin``: open the transaction with the batch's first statement (``owns_transaction``)."""
        self._statements: list[tuple[str, list[Any]]] = []
        self.rows: list[list[Row]] = []
        if begin:
            self.add("BEGIN", [])

    def commit(self) -> None:
        """End the transaction with the batch's last statement (``owns_transaction``)."""
        self.add("COMMIT", [])

    def add(self, sql: str, params: list[Any]) -> int:
        """Queue a statement; the index of its rows in ``rows`` once run."""
        self._statements.append((sql, params))
        return len(self._statements) - 1

    def run(self) -> None:
        statements, self._statements = self._statements, []
        if not statements:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(statements) > 1:
                # Django's psycopg cursors bind parameters on the client: several statements in one
                # string are sent as one simple query, with a result for each.
                cursor.execute("; ".join(s for s, _ in statements), [p for _, ps in statements for p in ps])
                for n in range(len(statements)):
                    self.rows.append(cursor.fetchall() if cursor.description else [])
                    if n < len(statements) - 1:
                        cursor.nextset()
                return
            for sql, params in statements:
                cursor.execute(sql, params)
                self.rows.append(cursor.fetchall() if cursor.description else [])


def owns_transaction() -> bool:
    """Whether a write may open and end its own transaction, ``BEGIN`` sent with its first batch and
    ``COMMIT`` with its last: on PostgreSQL, outside any transaction of Django's. That saves two round
    trips, each a wait while the collectivité is locked (README, Web performance). Such a write must
    run every statement of its transaction through batches or plain reads: Django's transactions would
    not know one is open (``end_own_transaction`` closes it on any failure)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def in_transaction() -> bool:
    """Whether the server holds a transaction open on this connection (libpq's local status, no
    round trip)."""
    raw = connection.connection
    if raw is None:
        return False
    from psycopg.pq import TransactionStatus

    return bool(raw.info.transaction_status != TransactionStatus.IDLE)


def end_own_transaction() -> None:
    """Roll back a transaction opened by ``Batch(begin=True)`` that did not commit; a connection that
    cannot even do that is closed, so that the next request starts on a clean one."""
    if not in_transaction():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
    except Exception:
        connection.close()


def _now(now: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(now)


def _json(value: Any) -> Any:
    """A JSON field's value; None is SQL NULL, as the ORM stores it."""
    return None if value is None else connection.ops.adapt_json_value(value, DjangoJSONEncoder)


# -- reads under the lock ---------------------------------------------------------------------


def lock(batch: Batch, collectivite_id: int) -> int | None:
    """Lock the collectivité for this transaction: on PostgreSQL its row, whose presence also tells
    the collectivité still exists, and the reads queued after it see the state the lock guards.
    SQLite needs no statement: an IMMEDIATE transaction holds the database's write lock from its
    start (and a collectivité deleted meanwhile fails the foreign keys of any write)."""
    if not connection.features.has_select_for_update:
        return None
    return batch.add(f"SELECT id FROM {_table(Collectivite)} WHERE id = %s FOR UPDATE", [collectivite_id])


def read_score_set(batch: Batch, collectivite_id: int, referentiel: str) -> int:
    return batch.add(
        f"SELECT id, version_id, revision FROM {_table(ScoreSet)}"
        " WHERE collectivite_id = %s AND referentiel = %s",
        [collectivite_id, referentiel],
    )


def read_statuts(batch: Batch, collectivite_id: int, action_ids: list[str]) -> int:
    marks = ", ".join(["%s"] * len(action_ids))
    return batch.add(
        "SELECT action_id, avancement, pourcentage_fait, pourcentage_programme, pourcentage_pas_fait"
        f" FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id IN ({marks})",
        [collectivite_id, *action_ids],
    )


def read_history_since(batch: Batch, collectivite_id: int, after_id: int, limit: int) -> int:
    """The history entries (id, kind, subject) newer than ``after_id``, oldest first."""
    return batch.add(
        f"SELECT id, kind, subject FROM {_table(HistoryEntry)}"
        " WHERE collectivite_id = %s AND id > %s ORDER BY id LIMIT %s",
        [collectivite_id, after_id, limit],
    )


def read_statuts_written_since(batch: Batch, collectivite_id: int, after_id: int) -> int:
    """The stored statuts of the actions whose statut changed after history entry ``after_id``
    (an action missing from the rows has none any more)."""
    return batch.add(
        "SELECT action_id, avancement, pourcentage_fait, pourcentage_programme, pourcentage_pas_fait"
        f" FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id IN"
        f" (SELECT subject FROM {_table(HistoryEntry)} WHERE collectivite_id = %s AND id > %s"
        " AND kind = %s)",
        [collectivite_id, collectivite_id, after_id, Kind.STATUT],
    )


def records_of(rows: list[Row]) -> dict[str, StatutRecord]:
    """The statuts read by ``read_statuts`` or ``read_statuts_written_since`` as (unsaved) rows."""
    return {
        action_id: StatutRecord(
            action_id=action_id,
            avancement=avancement,
            pourcentage_fait=fait,
            pourcentage_programme=programme,
            pourcentage_pas_fait=pas_fait,
        )
        for action_id, avancement, fait, programme, pas_fait in rows
    }


def check_locked(batch: Batch, locked: int | None, collectivite_id: int) -> None:
    if locked is not None and not batch.rows[locked]:
        raise Collectivite.DoesNotExist(f"collectivité {collectivite_id}")


def score_set_of(rows: list[Row], collectivite_id: int, referentiel: str) -> ScoreSet | None:
    """The score set read by ``read_score_set`` (None when there is none yet)."""
    if not rows:
        return None
    score_set_id, version_id, revision = rows[0]
    return ScoreSet.from_db(
        connection.alias,
        ["id", "collectivite_id", "referentiel", "version_id", "revision"],
        [score_set_id, collectivite_id, referentiel, version_id, revision],
    )


def lock_score_set(collectivite_id: int, referentiel: str) -> ScoreSet | None:
    """Lock the collectivité and read its score set of a référentiel, in one batch."""
    batch = Batch()
    locked = lock(batch, collectivite_id)
    found = read_score_set(batch, collectivite_id, referentiel)
    batch.run()
    check_locked(batch, locked, collectivite_id)
    return score_set_of(batch.rows[found], collectivite_id, referentiel)


# -- writes -------------------------------------------------------------------------------------


def put_statut(
    batch: Batch,
    collectivite_id: int,
    referentiel: str,
    action_id: str,
    new: StatutRecord | None,
    user_id: int | None,
    now: datetime,
) -> None:
    """Write (insert or replace) or, with None, delete the statut row of an action."""
    if new is None:
        batch.add(
            f"DELETE FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id = %s",
            [collectivite_id, action_id],
        )
        return
    batch.add(
        f"INSERT INTO {_table(StatutRecord)} (collectivite_id, action_id, referentiel, avancement,"
        " pourcentage_fait, pourcentage_programme, pourcentage_pas_fait, modified_by_id,"
        " modified_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (collectivite_id, action_id) DO UPDATE SET avancement = excluded.avancement,"
        " pourcentage_fait = excluded.pourcentage_fait,"
        " pourcentage_programme = excluded.pourcentage_programme,"
        " pourcentage_pas_fait = excluded.pourcentage_pas_fait,"
        " modified_by_id = excluded.modified_by_id, modified_at = excluded.modified_at",
        [
            collectivite_id,
            action_id,
            referentiel,
            new.avancement,
            new.pourcentage_fait,
            new.pourcentage_programme,
            new.pourcentage_pas_fait,
            user_id,
            _now(now),
        ],
    )


def add_history(
    batch: Batch,
    collectivite_id: int,
    kind: str,
    subject: str,
    user_id: int | None,
    previous: Any,
    new: Any,
    now: datetime,
) -> int:
    """Add a history entry; its rows hold its id."""
    return batch.add(
        f"INSERT INTO {_table(HistoryEntry)} (collectivite_id, kind, subject, user_id, at, previous,"
        ' "new") VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id',
        [collectivite_id, kind, subject, user_id, _now(now), _json(previous), _json(new)],
    )


def bump_score_set(batch: Batch, score_set: ScoreSet, now: datetime) -> None:
    """Save a score set's new version and revision."""
    batch.add(
        f"UPDATE {_table(ScoreSet)} SET version_id = %s, revision = %s, updated_at = %s WHERE id = %s",
        [score_set.version_id, score_set.revision, _now(now), score_set.pk],
    )


def insert_score_set(batch: Batch, score_set: ScoreSet, now: datetime) -> int:
    """Insert a new score set; its rows hold its id."""
    return batch.add(
        f"INSERT INTO {_table(ScoreSet)} (collectivite_id, referentiel, version_id, revision, updated_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        [
            score_set.collectivite_id,
            score_set.referentiel,
            score_set.version_id,
            score_set.revision,
            _now(now),
        ],
    )


def replace_nodes(batch: Batch, score_set_id: int, nodes: dict[str, dict[str, Any]]) -> None:
    """Every node of a score set anew (a new or rebuilt LiveScores reports them all)."""
    batch.add(f"DELETE FROM {_table(ScoreNode)} WHERE score_set_id = %s", [score_set_id])
    items = list(nodes.items())
    for start in range(0, len(items), NODES_PER_STATEMENT):
        rows, params = _node_rows(score_set_id, items[start : start + NODES_PER_STATEMENT])
        batch.add(f"INSERT INTO {_table(ScoreNode)} (score_set_id, action_id, data) VALUES {rows}", params)


# SQLite allows 32,766 parameters in a statement; three per node.
NODES_PER_STATEMENT = 500


def _score_json(scores: dict[str, Any]) -> Any:
    """The stored scores of a node: numbers, booleans and null only, which orjson encodes as the
    standard library does (numbers in their shortest form), in a fraction of the time."""
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb(scores, dumps=orjson.dumps)
    return orjson.dumps(scores).decode()


def _node_rows(score_set_id: int, nodes: list[tuple[str, dict[str, Any]]]) -> tuple[str, list[Any]]:
    """The VALUES rows of score nodes, and their parameters."""
    params: list[Any] = []
    for action_id, data in nodes:
        params += [score_set_id, action_id, _score_json(data)]
    return ", ".join(["(%s, %s, %s)"] * len(nodes)), params


def upsert_nodes(batch: Batch, score_set_id: int, changed: dict[str, dict[str, Any]]) -> None:
    """The changed nodes in one statement: one UPDATE per node through the ORM cost more than the
    rest of a write. A node missing from the stored set (none should be) is inserted."""
    rows, params = _node_rows(score_set_id, list(changed.items()))
    batch.add(
        f"INSERT INTO {_table(ScoreNode)} (score_set_id, action_id, data) VALUES {rows}"
        " ON CONFLICT (score_set_id, action_id) DO UPDATE SET data = excluded.data",
        params,
    )
