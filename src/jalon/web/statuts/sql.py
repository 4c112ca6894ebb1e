"""The statements of the write primitive (``write.py``), the one place that builds SQL.

A write runs while it holds the collectivité's lock, so its statements' cost is the length of the
queue of its writers: built with the ORM they cost several times more than running them
(docs/performance.md). The tables of a collectivité's state written here — statuts, explications,
answers, history, score sets and nodes, the locks of an audit en cours, and the collectivité's
revision, identity and name once it exists — are written by nothing else. Same statements on SQLite and
PostgreSQL (``ON CONFLICT``, ``RETURNING``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts.models import (
    Explication,
    HistoryEntry,
    Reponse,
    ScoreNode,
    ScoreSet,
    StatutRecord,
    Verrou,
)

Row = tuple[Any, ...]
# A statut as the API, the history and the write path hold it: {"avancement": …[, "detaille": [f, p, pf]]}.
StatutValue = dict[str, Any]


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Batch:
    """Statements run in order, their rows kept by position. On PostgreSQL they go as one query
    string, one round trip (each statement still takes its own snapshot, after the previous one
    ended: a read placed after the lock sees what the writer it waited for committed). On SQLite,
    in the process, there is no round trip to save: one by one."""

    def __init__(self) -> None:
        self._statements: list[tuple[str, list[Any]]] = []
        self.rows: list[list[Row]] = []

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


def _now(now: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(now)


def _json(value: Any) -> Any:
    """A JSON field's value; None is SQL NULL, as the ORM stores it."""
    return None if value is None else connection.ops.adapt_json_value(value, DjangoJSONEncoder)


def json_of(value: Any) -> Any:
    """A JSON column as read: text on both databases (Django reads PostgreSQL's jsonb as text)."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


# -- reads under the lock ---------------------------------------------------------------------


IDENTITE_COLUMNS = ("type", "population", "localisation")


def lock(batch: Batch, collectivite_id: int) -> int:
    """Lock the collectivité for this transaction and read its revision, name, COT flag and identity
    (type, population, localisation). On PostgreSQL the row lock; SQLite's IMMEDIATE transaction already
    holds the database's write lock. No row: the collectivité does not exist (any more)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    columns = ", ".join(("revision", "nom", "cot", *IDENTITE_COLUMNS))
    return batch.add(
        f"SELECT {columns} FROM {_table(Collectivite)} WHERE id = %s{lock}",
        [collectivite_id],
    )


def read_verrous(batch: Batch, collectivite_id: int) -> int:
    """(référentiel, allowed user ids as JSON text, motif) of each locked référentiel (see
    ``Verrou``); queued right after the lock, in its batch."""
    return batch.add(
        f"SELECT referentiel, auteurs, motif FROM {_table(Verrou)} WHERE collectivite_id = %s",
        [collectivite_id],
    )


def read_score_set(batch: Batch, collectivite_id: int, referentiel: str) -> int:
    """(id, version_id) of a référentiel's stored scores, no row when none is stored yet."""
    return batch.add(
        f"SELECT id, version_id FROM {_table(ScoreSet)} WHERE collectivite_id = %s AND referentiel = %s",
        [collectivite_id, referentiel],
    )


def read_statuts(batch: Batch, collectivite_id: int, referentiel: str) -> int:
    """The statut rows of a référentiel (see ``statut_values``)."""
    return batch.add(
        "SELECT action_id, avancement, pourcentage_fait, pourcentage_programme, pourcentage_pas_fait"
        f" FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND referentiel = %s",
        [collectivite_id, referentiel],
    )


def statut_values(rows: list[Row]) -> dict[str, StatutValue]:
    """The statuts read by ``read_statuts``: action id → value."""
    out: dict[str, StatutValue] = {}
    for action_id, avancement, fait, programme, pas_fait in rows:
        value: StatutValue = {"avancement": avancement}
        if fait is not None:
            value["detaille"] = [fait, programme, pas_fait]
        out[action_id] = value
    return out


def read_reponses(batch: Batch, collectivite_id: int) -> int:
    """(question id, value) of every answer (the value as JSON text, see ``json_of``)."""
    return batch.add(
        f"SELECT question_id, valeur FROM {_table(Reponse)} WHERE collectivite_id = %s",
        [collectivite_id],
    )


def read_reponse(batch: Batch, collectivite_id: int, question_id: str) -> int:
    """(value as JSON text, justification) of one answer, no row when there is none."""
    return batch.add(
        f"SELECT valeur, justification FROM {_table(Reponse)}"
        " WHERE collectivite_id = %s AND question_id = %s",
        [collectivite_id, question_id],
    )


def read_explication(batch: Batch, collectivite_id: int, action_id: str) -> int:
    """(texte,) of an action's explication, no row when there is none."""
    return batch.add(
        f"SELECT texte FROM {_table(Explication)} WHERE collectivite_id = %s AND action_id = %s",
        [collectivite_id, action_id],
    )


# -- writes -------------------------------------------------------------------------------------


def put_statut(
    batch: Batch,
    collectivite_id: int,
    referentiel: str,
    action_id: str,
    value: StatutValue | None,
    user_id: int | None,
    now: datetime,
) -> None:
    """Write (insert or replace) or, with None, delete the statut row of an action."""
    if value is None:
        batch.add(
            f"DELETE FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id = %s",
            [collectivite_id, action_id],
        )
        return
    fait, programme, pas_fait = value.get("detaille") or (None, None, None)
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
            value["avancement"],
            fait,
            programme,
            pas_fait,
            user_id,
            _now(now),
        ],
    )


def put_reponse(
    batch: Batch,
    collectivite_id: int,
    question_id: str,
    valeur: Any,
    justification: str,
    user_id: int | None,
    now: datetime,
) -> None:
    """Write (insert or replace) an answer and its justification."""
    batch.add(
        f"INSERT INTO {_table(Reponse)} (collectivite_id, question_id, valeur, justification,"
        " modified_by_id, modified_at) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (collectivite_id, question_id) DO UPDATE SET valeur = excluded.valeur,"
        " justification = excluded.justification, modified_by_id = excluded.modified_by_id,"
        " modified_at = excluded.modified_at",
        [collectivite_id, question_id, _json(valeur), justification, user_id, _now(now)],
    )


def put_explication(
    batch: Batch, collectivite_id: int, action_id: str, texte: str, user_id: int | None, now: datetime
) -> None:
    """Write (insert or replace) an action's explication."""
    batch.add(
        f"INSERT INTO {_table(Explication)} (collectivite_id, action_id, texte, modified_by_id,"
        " modified_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (collectivite_id, action_id) DO UPDATE SET texte = excluded.texte,"
        " modified_by_id = excluded.modified_by_id, modified_at = excluded.modified_at",
        [collectivite_id, action_id, texte, user_id, _now(now)],
    )


def put_verrou(batch: Batch, collectivite_id: int, referentiel: str, auteurs: list[int], motif: str) -> None:
    """Write (insert or replace) the lock of a référentiel: only ``auteurs`` write it."""
    batch.add(
        f"INSERT INTO {_table(Verrou)} (collectivite_id, referentiel, auteurs, motif)"
        " VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (collectivite_id, referentiel) DO UPDATE SET auteurs = excluded.auteurs,"
        " motif = excluded.motif",
        [collectivite_id, referentiel, _json(auteurs), motif],
    )


def delete_verrou(batch: Batch, collectivite_id: int, referentiel: str) -> None:
    batch.add(
        f"DELETE FROM {_table(Verrou)} WHERE collectivite_id = %s AND referentiel = %s",
        [collectivite_id, referentiel],
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
) -> None:
    batch.add(
        f"INSERT INTO {_table(HistoryEntry)} (collectivite_id, kind, subject, user_id, at, previous,"
        ' "new") VALUES (%s, %s, %s, %s, %s, %s, %s)',
        [collectivite_id, kind, subject, user_id, _now(now), _json(previous), _json(new)],
    )


def update_collectivite(batch: Batch, collectivite_id: int, revision: int, fields: dict[str, Any]) -> None:
    """Save the collectivité's new revision, and the identity fields or name given."""
    sets = "".join(f", {connection.ops.quote_name(name)} = %s" for name in fields)
    batch.add(
        f"UPDATE {_table(Collectivite)} SET revision = %s{sets} WHERE id = %s",
        [revision, *fields.values(), collectivite_id],
    )


def insert_score_set(batch: Batch, collectivite_id: int, referentiel: str, version_id: int) -> int:
    """A new score set; its rows hold its id."""
    return batch.add(
        f"INSERT INTO {_table(ScoreSet)} (collectivite_id, referentiel, version_id)"
        " VALUES (%s, %s, %s) RETURNING id",
        [collectivite_id, referentiel, version_id],
    )


def replace_nodes(batch: Batch, score_set_id: int, version_id: int, nodes: dict[str, dict[str, Any]]) -> None:
    """Every node of a score set anew, scored with a référentiel version."""
    batch.add(f"UPDATE {_table(ScoreSet)} SET version_id = %s WHERE id = %s", [version_id, score_set_id])
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
    """The changed nodes in one statement."""
    rows, params = _node_rows(score_set_id, list(changed.items()))
    batch.add(
        f"INSERT INTO {_table(ScoreNode)} (score_set_id, action_id, data) VALUES {rows}"
        " ON CONFLICT (score_set_id, action_id) DO UPDATE SET data = excluded.data",
        params,
    )
