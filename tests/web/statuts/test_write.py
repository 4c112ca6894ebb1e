"""The write primitive (statuts/write.py): what a process remembers between writes is bounded, and
exactness never depends on it."""

from __future__ import annotations

import pytest
from django.test import override_settings

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.collectivites.services import change_role
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services, write
from jalon.web.statuts.models import HistoryEntry, Kind, ScoreSet
from tests.web.conftest import Member, count_evaluations, make_collectivite, make_member
from tests.web.statuts.test_statuts import full_evaluation

pytestmark = pytest.mark.django_db(transaction=True)  # commits: what is remembered is put back on commit


def test_the_remembered_states_are_bounded(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_collectivite("Autre commune", "commune", 3_000)
    with override_settings(JALON_SCORED_STATES_KEPT=1):
        services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "fait")
        services.set_statut(other, editor.user, "cae_6.1.1.2.1", "programme")
        assert list(write._memo) == [(other.pk, "cae")]  # the least recently used was dropped
        evaluations = count_evaluations(monkeypatch)
        services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "fait")
        assert evaluations == ["cae"]  # read and scored again
    for c in (collectivite, other):
        assert ScoreSet.objects.get(collectivite=c, referentiel="cae").scores == full_evaluation(version, c)


@override_settings(JALON_SCORED_STATES_KEPT=0)
def test_writes_are_exact_when_nothing_is_remembered(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluations = count_evaluations(monkeypatch)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.2", "programme")  # resets 6.1.1.1
    services.set_identite(collectivite, editor.user, population=2_000)
    assert write._memo == {}
    assert evaluations.count("cae") == 4  # every write read the stored state
    assert ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores == full_evaluation(
        version, collectivite
    )


def test_a_role_change_is_a_write_of_the_collectivite(collectivite: Collectivite, editor: Member) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    collectivite.refresh_from_db()
    revision = collectivite.revision
    membership = editor.user.memberships.get()
    change_role(collectivite, admin.user, membership.pk, Role.LECTURE)
    collectivite.refresh_from_db()
    assert collectivite.revision != revision
    entry = HistoryEntry.objects.get(kind=Kind.MEMBRE)
    assert (entry.subject, entry.user, entry.previous, entry.new) == (
        "edith",
        admin.user,
        Role.EDITION,
        Role.LECTURE,
    )
