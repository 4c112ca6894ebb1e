"""The transaction of a statut write, with real commits. On PostgreSQL, outside a transaction of
Django's, the write opens and ends it itself: BEGIN goes with its first batch, COMMIT with its last.
Whatever fails on the way, nothing is half-written, no transaction is left open on the connection,
and the cached scores are not poisoned. The same tests run on SQLite, where the write uses Django's
transaction, and must hold there too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from jalon.web.collectivites.models import Collectivite
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services, sql
from jalon.web.statuts.models import HistoryEntry, ScoreSet, StatutRecord

from .conftest import Member, count_rebuilds, make_collectivite
from .test_statuts import full_evaluation

pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite has no round trips to save"
)


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL of every execute on the connection meanwhile (one round trip each on PostgreSQL)."""
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sent


@postgresql_only
def test_a_statut_write_is_two_round_trips_under_the_lock(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")  # the cache is warm
    with statements_sent() as sent:
        services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "programme")
    locked = [n for n, s in enumerate(sent) if "FOR UPDATE" in s]
    assert len(locked) == 1
    under_lock = sent[locked[0] :]
    assert len(under_lock) == 2
    assert under_lock[0].startswith("BEGIN; ")
    assert under_lock[1].endswith("; COMMIT")
    assert not sql.in_transaction()
    assert ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores == full_evaluation(
        version, collectivite
    )


def test_a_refused_statut_write_leaves_no_transaction_open_and_nothing_written(
    version: ReferentielVersion, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The désactivé action is found only once the write has locked the collectivité (on PostgreSQL,
    after its BEGIN): the write is rolled back, the connection serves the next one normally, and the
    cached scores it took, unchanged, are there for the next write."""
    commune = make_collectivite("Petite commune", "commune", 2_000)  # the demo rule switches 6.1.2.2.1 off
    services.set_statut(commune, editor.user, "cae_6.1.1.2.1", "fait")
    before = HistoryEntry.objects.filter(collectivite=commune).count()
    with pytest.raises(InputError):
        services.set_statut(commune, editor.user, "cae_6.1.2.2.1", "fait")
    assert connection.vendor != "postgresql" or not sql.in_transaction()
    assert HistoryEntry.objects.filter(collectivite=commune).count() == before
    assert not StatutRecord.objects.filter(collectivite=commune, action_id="cae_6.1.2.2.1").exists()
    built = count_rebuilds(monkeypatch)
    services.set_statut(commune, editor.user, "cae_6.1.1.3.1", "programme")
    assert built == []  # the refused write left the cached scores for the next one
    assert set(StatutRecord.objects.filter(collectivite=commune).values_list("action_id", flat=True)) == {
        "cae_6.1.1.2.1",
        "cae_6.1.1.3.1",
    }
    assert ScoreSet.objects.get(collectivite=commune, referentiel="cae").scores == full_evaluation(
        version, commune
    )


def test_a_write_failing_at_its_commit_leaves_nothing_and_no_stale_cache(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    """A person deleted meanwhile: the foreign keys of the statut and history rows are checked at the
    COMMIT (deferred), which fails. Nothing of the write is stored, and the scores this process had
    already changed in memory are not reused by the next write."""
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    gone = User(pk=10**9, username="parti")  # never saved
    with pytest.raises(IntegrityError):
        services.set_statut(collectivite, gone, "cae_6.1.1.2.2", "fait")
    assert connection.vendor != "postgresql" or not sql.in_transaction()
    assert not StatutRecord.objects.filter(collectivite=collectivite, action_id="cae_6.1.1.2.2").exists()
    assert not HistoryEntry.objects.filter(collectivite=collectivite, subject="cae_6.1.1.2.2").exists()
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.revision == 1
    assert score_set.scores == full_evaluation(version, collectivite)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "programme")
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.revision == 2
    assert score_set.scores == full_evaluation(version, collectivite)
    assert score_set.scores["cae_6.1.1.2.2"]["point_fait"] == 0


def test_the_first_write_of_a_collectivite_stores_every_node(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No score set yet: the write creates it and stores the whole tree, in its own transaction, in
    statements of a bounded number of nodes (7 here, so that the demo's tree takes several)."""
    monkeypatch.setattr(sql, "NODES_PER_STATEMENT", 7)
    assert not ScoreSet.objects.filter(collectivite=collectivite).exists()
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.revision == 1
    assert score_set.scores == full_evaluation(version, collectivite)


def test_a_refused_write_inside_an_outer_transaction_that_rolls_back_leaves_no_stale_cache(
    version: ReferentielVersion, editor: Member
) -> None:
    """Inside a transaction of the caller's (the admin's, a script's), the scores a refused write
    holds may reflect changes of that transaction: they must not outlive its rollback in the cache."""
    commune = make_collectivite("Petite commune", "commune", 2_000)  # the demo rule switches 6.1.2.2.1 off
    services.set_statut(commune, editor.user, "cae_6.1.1.2.1", "fait")
    with pytest.raises(InputError), transaction.atomic():
        services.set_statut(commune, editor.user, "cae_6.1.1.3.1", "fait")  # rolled back below
        services.set_statut(commune, editor.user, "cae_6.1.2.2.1", "fait")  # refused
    services.set_statut(commune, editor.user, "cae_6.1.1.5.2", "programme")
    assert not StatutRecord.objects.filter(collectivite=commune, action_id="cae_6.1.1.3.1").exists()
    score_set = ScoreSet.objects.get(collectivite=commune, referentiel="cae")
    assert score_set.scores == full_evaluation(version, commune)
    assert score_set.scores["cae_6.1.1.3.1"]["point_fait"] == 0
