"""Concurrent demandes of one parcours: the collectivité's lock serialises them, so exactly one is sent and
the others are refused for the state it left, with nothing half-written. Runs on SQLite and, in the
PostgreSQL pass, on the real server."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.labellisation import models, services
from jalon.web.labellisation.services import ParcoursRefuse
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, everything_fait

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6


def test_of_concurrent_demandes_exactly_one_is_sent(collectivite: Collectivite, editor: Member) -> None:
    everything_fait(collectivite, editor)
    members = [make_member(collectivite, Role.EDITION, f"editeur{n}").user for n in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            start.wait()
            try:
                services.demander(
                    collectivite, members[n], "cae", sujet="labellisation", etoile=1, document=DOCUMENT
                )
                outcome = "envoyée"
            except ParcoursRefuse as error:
                outcome = error.reason
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(
        ["envoyée"]
        + [
            "Demander la labellisation ou l'audit : impossible quand le parcours est « demande envoyée » "
            "(attendu : non demandée)."
        ]
        * (WRITERS - 1)
    )
    assert models.Cycle.objects.filter(collectivite=collectivite).count() == 1
    assert models.Demande.objects.count() == 1
    assert HistoryEntry.objects.filter(collectivite=collectivite, kind=Kind.PARCOURS).count() == 1
