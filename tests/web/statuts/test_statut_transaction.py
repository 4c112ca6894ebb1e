"""The transaction of the write primitive, with real commits, on SQLite and PostgreSQL: whatever
fails on the way, nothing is half-written, no transaction is left open on the connection, and what the
process remembers of scored states is never a state that was not committed."""

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
from tests.web.conftest import Member, count_evaluations, make_collectivite
from tests.web.statuts.test_statuts import full_evaluation

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
def test_a_remembered_statut_write_is_two_round_trips_under_the_lock(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    """The lock and its read; then the statut, its history, the changed nodes and the revision, in one
    batch. (Django's BEGIN and COMMIT aside.)"""
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")  # remembered
    with statements_sent() as sent:
        services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "programme")
    locked = [n for n, s in enumerate(sent) if "FOR UPDATE" in s]
    assert len(locked) == 1
    assert len(sent[locked[0] :]) == 2, sent
    assert not connection.in_atomic_block
    assert ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores == full_evaluation(
        version, collectivite
    )


def test_a_refused_statut_write_leaves_no_transaction_open_and_nothing_written(
    version: ReferentielVersion, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The désactivé action is found only once the write has locked the collectivité: the write is
    rolled back, the connection serves the next one normally, and the next write reads the stored
    state (a write that did not commit leaves nothing remembered)."""
    commune = make_collectivite("Petite commune", "commune", 2_000)  # the demo rule switches 6.1.2.2.1 off
    services.set_statut(commune, editor.user, "cae_6.1.1.2.1", "fait")
    before = HistoryEntry.objects.filter(collectivite=commune).count()
    with pytest.raises(InputError):
        services.set_statut(commune, editor.user, "cae_6.1.2.2.1", "fait")
    assert not connection.in_atomic_block
    assert HistoryEntry.objects.filter(collectivite=commune).count() == before
    assert not StatutRecord.objects.filter(collectivite=commune, action_id="cae_6.1.2.2.1").exists()
    evaluations = count_evaluations(monkeypatch)
    services.set_statut(commune, editor.user, "cae_6.1.1.3.1", "programme")
    assert evaluations == ["cae"]
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
    COMMIT (deferred), which fails. Nothing of the write is stored, and the state it scored is not
    remembered for the next write."""
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    collectivite.refresh_from_db()
    revision = collectivite.revision
    gone = User(pk=10**9, username="parti")  # never saved
    with pytest.raises(IntegrityError):
        services.set_statut(collectivite, gone, "cae_6.1.1.2.2", "fait")
    assert not connection.in_atomic_block
    assert not StatutRecord.objects.filter(collectivite=collectivite, action_id="cae_6.1.1.2.2").exists()
    assert not HistoryEntry.objects.filter(collectivite=collectivite, subject="cae_6.1.1.2.2").exists()
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    collectivite.refresh_from_db()
    assert collectivite.revision == revision
    assert score_set.scores == full_evaluation(version, collectivite)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "programme")
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    collectivite.refresh_from_db()
    assert collectivite.revision != revision
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
    assert score_set.scores == full_evaluation(version, collectivite)


def test_a_refused_write_inside_an_outer_transaction_that_rolls_back_leaves_no_stale_cache(
    version: ReferentielVersion, editor: Member
) -> None:
    """Inside a transaction of the caller's (the admin's, a script's), a write's scored state reflects
    changes of that transaction: it must not be remembered past its rollback."""
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
