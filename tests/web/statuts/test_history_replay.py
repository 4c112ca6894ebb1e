"""The scores of a past date, recomputed from the history, equal the scores that were stored then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.statuts import services
from jalon.web.statuts.history import scores_at, state_at
from jalon.web.statuts.models import HistoryEntry, ScoreSet
from tests.web.conftest import Member, make_collectivite, make_member
from tests.web.statuts.test_statuts import full_evaluation

pytestmark = pytest.mark.django_db


def stored(c: Collectivite) -> tuple[datetime, dict[str, Any]]:
    """Now, and the scores stored now."""
    return timezone.now(), ScoreSet.objects.get(collectivite=c, referentiel="cae").scores


def test_past_scores_equal_the_scores_stored_then(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    user = editor.user
    t0 = timezone.now()
    services.set_statut(collectivite, user, "cae_6.1.1.1", "fait")
    services.set_statut(collectivite, user, "cae_6.1.1.2.1", "detaille", [35, 40, 25])
    services.set_reponse(collectivite, user, "demo_jumelage", "NON")
    services.set_statut(collectivite, user, "cae_6.1.2.2.1", "fait")
    t1, at_t1 = stored(collectivite)
    # Later: a cascade reset, a removed statut, answers, an identity that switches 6.1.2.2.1 off.
    services.set_statut(collectivite, user, "cae_6.1.1.1.2", "programme")
    services.set_statut(collectivite, user, "cae_6.1.1.2.1", None)
    services.set_reponse(collectivite, user, "demo_cep", "demo_cep_epci")
    t2, at_t2 = stored(collectivite)
    services.set_identite(collectivite, user, type="commune", population=2_000)
    services.set_reponse(collectivite, user, "demo_jumelage", "OUI")
    services.set_statut(collectivite, user, "cae_6.1.1.5.2", "pas_fait")
    t3, at_t3 = stored(collectivite)
    assert at_t3 == full_evaluation(version, collectivite)
    assert at_t3["cae_6.1.2.2.1"]["desactive"] and not at_t1["cae_6.1.2.2.1"]["desactive"]
    assert len({str(s) for s in (at_t1, at_t2, at_t3)}) == 3  # three different states to tell apart

    assert scores_at(collectivite, t1)[1]["cae"] == at_t1
    assert scores_at(collectivite, t2)[1]["cae"] == at_t2
    assert scores_at(collectivite, t3)[1]["cae"] == at_t3
    state = state_at(collectivite, t1)
    assert state.identite == {"type": "EPCI", "population": 45_000, "localisation": "Metropole"}
    assert state.reponses == {"demo_jumelage": "NON"}
    assert state.statuts["cae_6.1.1.1"] == {"avancement": "fait"}
    assert "cae_6.1.1.1.2" not in state.statuts
    # Before the first write: nothing renseigné, nothing fait.
    before = scores_at(collectivite, t0)[1]["cae"]
    assert before["cae"]["point_fait"] == 0 and before["cae"]["point_programme"] == 0


def test_identity_change_rescores_and_is_in_the_history(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.2.2.1", "fait")
    services.set_identite(collectivite, editor.user, type="commune", population=2_000)
    entry = HistoryEntry.objects.get(kind="identite")
    assert entry.previous == {"type": "EPCI", "population": 45_000, "localisation": "Metropole"}
    assert entry.new == {"type": "commune", "population": 2_000, "localisation": "Metropole"}
    assert entry.user == editor.user
    score_set = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert score_set.scores == full_evaluation(version, collectivite)
    assert score_set.scores["cae_6.1.2.2.1"]["desactive"] is True
    with pytest.raises(InputError) as error:
        services.set_identite(collectivite, editor.user, type="metropole")
    assert error.value.field == "type"
    with pytest.raises(InputError):
        services.set_identite(collectivite, editor.user, population=-3)
    assert HistoryEntry.objects.filter(kind="identite").count() == 1


def test_a_name_change_is_in_the_history_and_leaves_the_replay_alone(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    user = editor.user
    services.set_statut(collectivite, user, "cae_6.1.2.2.1", "fait")
    t1, at_t1 = stored(collectivite)
    # Renamed and switched to a commune at once, then renamed alone.
    services.set_identite(collectivite, user, nom="Ville de démo", type="commune", population=2_000)
    t2, at_t2 = stored(collectivite)
    services.set_identite(collectivite, user, nom="Ville nouvelle")
    t3, at_t3 = stored(collectivite)
    assert at_t3 == at_t2 != at_t1 and collectivite.nom == "Ville nouvelle"
    names = HistoryEntry.objects.filter(kind="nom").order_by("id").values_list("user", "previous", "new")
    assert list(names) == [
        (user.pk, "Communauté de démo", "Ville de démo"),
        (user.pk, "Ville de démo", "Ville nouvelle"),
    ]
    assert HistoryEntry.objects.filter(kind="identite").count() == 1
    assert scores_at(collectivite, t1)[1]["cae"] == at_t1
    assert scores_at(collectivite, t2)[1]["cae"] == at_t2
    assert scores_at(collectivite, t3)[1]["cae"] == at_t3
    assert state_at(collectivite, t1).identite == {
        "type": "EPCI",
        "population": 45_000,
        "localisation": "Metropole",
    }
    with pytest.raises(InputError) as error:
        services.set_identite(collectivite, user, nom=" ")
    assert error.value.field == "nom"
    collectivite.refresh_from_db()
    assert collectivite.nom == "Ville nouvelle"


def test_past_scores_api(version: ReferentielVersion, collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}"
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "fait")
    t1, at_t1 = stored(collectivite)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3.1", "pas_fait")

    answer = client.get(f"{base}/scores", {"date": t1.isoformat(), "referentiel": "cae"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["referentiels"] == {"cae": at_t1} and body["version"] == version.pk
    # A date without an offset is read in Europe/Paris time.
    local = timezone.localtime(t1).replace(tzinfo=None).isoformat()
    assert client.get(f"{base}/scores", {"date": local}).json()["referentiels"]["cae"] == at_t1

    assert client.get(f"{base}/scores", {"date": "hier"}).status_code == 422
    unknown = client.get(f"{base}/scores", {"date": t1.isoformat(), "referentiel": "xyz"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "referentiel"
    reader = make_member(collectivite, Role.LECTURE, "lea").client()
    assert reader.get(f"{base}/scores", {"date": t1.isoformat()}).status_code == 200
    foreign = make_collectivite("Ailleurs", "commune", 8_000)
    assert client.get(f"/api/collectivites/{foreign.pk}/scores", {"date": t1.isoformat()}).status_code == 404
