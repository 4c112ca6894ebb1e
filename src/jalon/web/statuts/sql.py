"""The hand-written statements of the statut write path.

Every write of a statut runs these while it holds the collectivité's lock, so their cost is the
length of the queue of writers: building them with the ORM cost several times more than running them
(README, Web performance). Same statements on SQLite and PostgreSQL (``ON CONFLICT``, ``RETURNING``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts.models import Avancement, HistoryEntry, ScoreSet, StatutRecord


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def lock_score_set(collectivite_id: int, referentiel: str) -> ScoreSet | None:
    """Lock the collectivité for this transaction and read its score set of a référentiel (None when
    there is none yet). PostgreSQL locks the collectivité's row first, then reads the score set in a
    statement of its own: a statement that waited for the lock still sees the other tables as they
    were when it started, before the writer it waited for committed. SQLite needs no lock of its own
    (an IMMEDIATE transaction holds the database's write lock from its start).
    Raises ``Collectivite.DoesNotExist`` when the collectivité is gone."""
    c, s = _table(Collectivite), _table(ScoreSet)
    with connection.cursor() as cursor:
        if connection.features.has_select_for_update:
            cursor.execute(f"SELECT id FROM {c} WHERE id = %s FOR UPDATE", [collectivite_id])
            if cursor.fetchone() is None:
                raise Collectivite.DoesNotExist(f"collectivité {collectivite_id}")
            cursor.execute(
                f"SELECT id, version_id, revision FROM {s} WHERE collectivite_id = %s AND referentiel = %s",
                [collectivite_id, referentiel],
            )
            row = cursor.fetchone()
        else:
            cursor.execute(
                f"SELECT c.id, s.id, s.version_id, s.revision FROM {c} c LEFT JOIN {s} s"
                " ON s.collectivite_id = c.id AND s.referentiel = %s WHERE c.id = %s",
                [referentiel, collectivite_id],
            )
            found = cursor.fetchone()
            if found is None:
                raise Collectivite.DoesNotExist(f"collectivité {collectivite_id}")
            row = None if found[1] is None else found[1:]
    if row is None:
        return None
    return ScoreSet.from_db(
        connection.alias,
        ["id", "collectivite_id", "referentiel", "version_id", "revision"],
        [row[0], collectivite_id, referentiel, row[1], row[2]],
    )


def statut_values(collectivite_id: int, action_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored statuts of a few actions, as the API and the history show them."""
    marks = ", ".join(["%s"] * len(action_ids))
    sql = (
        "SELECT action_id, avancement, pourcentage_fait, pourcentage_programme, pourcentage_pas_fait"
        f" FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [collectivite_id, *action_ids])
        rows = cursor.fetchall()
    out: dict[str, dict[str, Any]] = {}
    for action_id, avancement, fait, programme, pas_fait in rows:
        value: dict[str, Any] = {"avancement": avancement}
        if avancement == Avancement.DETAILLE:
            value["detaille"] = [fait, programme, pas_fait]
        out[action_id] = value
    return out


def put_statut(
    collectivite_id: int,
    referentiel: str,
    action_id: str,
    new: StatutRecord | None,
    user_id: int | None,
    now: datetime,
) -> None:
    """Write (insert or replace) or, with None, delete the statut row of an action."""
    with connection.cursor() as cursor:
        if new is None:
            cursor.execute(
                f"DELETE FROM {_table(StatutRecord)} WHERE collectivite_id = %s AND action_id = %s",
                [collectivite_id, action_id],
            )
            return
        cursor.execute(
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
                connection.ops.adapt_datetimefield_value(now),
            ],
        )


def add_history(
    collectivite_id: int,
    kind: str,
    subject: str,
    user_id: int | None,
    previous: Any,
    new: Any,
    now: datetime,
) -> int:
    """Add a history entry; its id. None is stored as SQL NULL, as the ORM does for these fields."""

    def json_value(value: Any) -> Any:
        return None if value is None else connection.ops.adapt_json_value(value, DjangoJSONEncoder)

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(HistoryEntry)} (collectivite_id, kind, subject, user_id, at, previous,"
            ' "new") VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id',
            [
                collectivite_id,
                kind,
                subject,
                user_id,
                connection.ops.adapt_datetimefield_value(now),
                json_value(previous),
                json_value(new),
            ],
        )
        entry_id: int = cursor.fetchone()[0]
    return entry_id


def bump_score_set(score_set: ScoreSet, now: datetime) -> None:
    """Save a score set's new version and revision."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(ScoreSet)} SET version_id = %s, revision = %s, updated_at = %s WHERE id = %s",
            [
                score_set.version_id,
                score_set.revision,
                connection.ops.adapt_datetimefield_value(now),
                score_set.pk,
            ],
        )
