"""Concurrent writers: 20 clients writing the statuts of one collectivité at once through a real HTTP
server lose nothing. Runs on a SQLite file (WAL, busy timeout) and, in the PostgreSQL pass of
``make test``, on the real server."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services, write
from jalon.web.statuts.models import HistoryEntry, Reponse, ScoreSet, StatutRecord
from tests.web.conftest import Member, count_evaluations, make_member
from tests.web.statuts.test_statuts import full_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 20
WRITES_EACH = 10
# Sous-mesures and tâches of the demo, some in parent/child pairs so that the cascade (a tâche resets
# its sous-mesure) runs between concurrent writers.
ACTIONS = [
    "cae_6.1.1.1",
    "cae_6.1.1.1.1",
    "cae_6.1.1.1.2",
    "cae_6.1.1.2.1",
    "cae_6.1.1.2.2",
    "cae_6.1.1.3",
    "cae_6.1.1.3.1",
    "cae_6.1.1.5",
    "cae_6.1.1.5.2",
    "cae_6.1.2.1.1",
    "cae_6.1.2.3",
]
# Every détaillé statut (5 % steps, summing to 100): each write gets one of its own, so every write
# is a change that the history must show, and can be found there.
DETAILLES = [[f, p, 100 - f - p] for f in range(0, 101, 5) for p in range(0, 101 - f, 5)]


def put(url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


@pytest.mark.slow  # a live server and 200 writes: seconds, more on a loaded machine
def test_twenty_concurrent_writers_lose_nothing(
    live_server: LiveServer, version: ReferentielVersion, collectivite: Collectivite
) -> None:
    assert len(DETAILLES) >= CLIENTS * WRITES_EACH
    members = [make_member(collectivite, Role.EDITION, f"client{n}") for n in range(CLIENTS)]
    base = f"{live_server.url}/api/collectivites/{collectivite.pk}"
    start = threading.Barrier(CLIENTS)
    statut_writes: list[tuple[Member, str, list[int]]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(n: int, member: Member) -> None:
        start.wait()
        for i in range(WRITES_EACH):
            action = ACTIONS[(n + i) % len(ACTIONS)]
            detaille = DETAILLES[n * WRITES_EACH + i]
            try:
                status, body = put(
                    f"{base}/statuts/{action}", member.token, {"avancement": "detaille", "detaille": detaille}
                )
                assert status == 200 and body["statut"]["detaille"] == detaille, body
                if n % 5 == 0:  # a few clients also change an answer, which rescores everything
                    put(f"{base}/reponses/demo_jumelage", member.token, {"valeur": "OUI" if i % 2 else "NON"})
            except Exception as error:  # collected: an assert in a thread would go unseen
                with lock:
                    failures.append(f"client {n} write {i}: {error!r}")
                continue
            with lock:
                statut_writes.append((member, action, detaille))

    threads = [threading.Thread(target=client, args=(n, m)) for n, m in enumerate(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(statut_writes) == CLIENTS * WRITES_EACH

    entries = list(HistoryEntry.objects.filter(collectivite=collectivite).order_by("id"))
    # Every write is in the history, once, with its author.
    for member, action, detaille in statut_writes:
        new = {"avancement": "detaille", "detaille": detaille}
        found = [e for e in entries if e.kind == "statut" and e.subject == action and e.new == new]
        assert [e.user_id for e in found] == [member.user.pk], (action, detaille)
    # No lost update: each change of a subject starts from the value the previous change left.
    last: dict[tuple[str, str], Any] = defaultdict(lambda: None)
    for e in entries:
        assert e.previous == last[e.kind, e.subject], (e.kind, e.subject)
        last[e.kind, e.subject] = e.new
    # The final state is the last write of each action (and of the answer).
    stored = {
        r.action_id: services.statut_value(r) for r in StatutRecord.objects.filter(collectivite=collectivite)
    }
    for (kind, subject), value in last.items():
        if kind == "statut":
            assert stored.get(subject) == value, subject
    reponse = Reponse.objects.get(collectivite=collectivite, question_id="demo_jumelage")
    assert reponse.valeur == last["reponse", "demo_jumelage"]
    # The stored scores equal a full re-evaluation.
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)
    # What the server threads left in this process's memo carries on from the same state.
    services.set_statut(collectivite, members[0].user, "cae_6.1.2.3.1", "fait")
    score_set.refresh_from_db()
    assert score_set.scores == full_evaluation(version, collectivite)


def _other_process_writes(change: Callable[[], object]) -> None:
    """Run ``change`` as another server process would (its own, empty memo), then give this process
    its memo back as it was."""
    this_process = dict(write._memo)
    write.forget_scored_states()
    change()
    write.forget_scored_states()
    write._memo.update(this_process)


def test_a_write_starts_from_the_scored_state_the_process_remembers(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    evaluations = count_evaluations(monkeypatch)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "fait")
    assert evaluations == []  # the state was remembered, not read and scored again
    services.set_explication(collectivite, editor.user, "cae_6.1.1.3", "sans effet sur les scores")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.2", "fait")
    assert evaluations == []  # an explication keeps what is remembered
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)


def test_a_write_of_another_process_is_never_missed(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two server processes each remember scored states: a write made by one bumps the collectivité's
    revision, so the other reads and scores the stored state again instead of its stale memo."""
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "programme")

    def elsewhere() -> None:
        services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "pas_fait")  # resets 6.1.1.1
        services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", None)

    _other_process_writes(elsewhere)
    evaluations = count_evaluations(monkeypatch)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "fait")
    assert evaluations == ["cae"]  # the stored state, read and scored again
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)
    assert score_set.scores["cae_6.1.1.1.1"]["point_pas_fait"] > 0


def test_a_node_brought_back_to_its_old_value_elsewhere_is_rewritten(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    """This process last stored the tâche "fait"; another one stored it "programme"; this process then
    writes "fait" again: its memo would say nothing moved, the store holds the other's values."""
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    _other_process_writes(
        lambda: services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "programme")
    )
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)
    assert score_set.scores["cae_6.1.1.2.1"]["point_programme"] == 0


def test_an_answer_changed_elsewhere_is_seen_by_the_next_write(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    _other_process_writes(lambda: services.set_reponse(collectivite, editor.user, "demo_jumelage", "OUI"))
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "fait")
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)


def test_a_write_that_changes_nothing_keeps_the_revision(
    collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    collectivite.refresh_from_db()
    revision = collectivite.revision
    evaluations = count_evaluations(monkeypatch)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
    services.set_reponse(collectivite, editor.user, "demo_jumelage", None)
    collectivite.refresh_from_db()
    assert collectivite.revision == revision and evaluations == []
