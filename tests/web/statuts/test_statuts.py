"""Statut writes: cascade rules, désactivé actions, history, stored scores = a full evaluation."""

from __future__ import annotations

from typing import Any

import pytest

import jalon
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import loaded_version
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, Reponse, ScoreSet, StatutRecord
from tests.web.conftest import Member, make_collectivite

pytestmark = pytest.mark.django_db


def full_evaluation(version: ReferentielVersion, c: Collectivite) -> dict[str, Any]:
    statuts: dict[str, Any] = {}
    for r in StatutRecord.objects.filter(collectivite=c):
        value = services.statut_value(r)
        assert value is not None
        statuts[r.action_id] = (
            [p / 100 for p in value["detaille"]] if value["avancement"] == "detaille" else value["avancement"]
        )
    return jalon.evaluate(
        loaded_version(version),
        {
            "Collectivité": {k: sorted(v) for k, v in identite(c).items()},
            "Réponses": {
                r.question_id: r.valeur
                for r in Reponse.objects.filter(collectivite=c)
                if r.valeur is not None
            },
            "Statuts": statuts,
        },
    )


def test_setting_a_tache_resets_its_sous_mesure(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1", "programme")
    change = services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    assert change.reset == ("cae_6.1.1.1",)
    assert not StatutRecord.objects.filter(collectivite=collectivite, action_id="cae_6.1.1.1").exists()
    reset = HistoryEntry.objects.get(subject="cae_6.1.1.1", previous={"avancement": "programme"})
    assert reset.new is None and reset.user == editor.user
    # The sous-mesure is now scored from its tâches: only the fait tâche counts.
    fait = change.scores["cae_6.1.1.1.1"]["point_fait"]
    assert isinstance(fait, float) and fait > 0
    assert change.scores["cae_6.1.1.1"]["point_fait"] == fait
    assert change.scores["cae_6.1.1.1"]["point_programme"] == 0


def test_setting_a_sous_mesure_keeps_its_taches(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    change = services.set_statut(collectivite, editor.user, "cae_6.1.1.1", "pas_fait")
    assert change.reset == ()
    assert StatutRecord.objects.filter(collectivite=collectivite, action_id="cae_6.1.1.1.1").exists()


def test_no_statut_on_a_desactive_action(version: ReferentielVersion, editor: Member) -> None:
    commune = make_collectivite("Petite commune", "commune", 2_000)  # the demo rule switches 6.1.2.2.1 off
    with pytest.raises(InputError) as error:
        services.set_statut(commune, editor.user, "cae_6.1.2.2.1", "fait")
    assert error.value.field == "action_id" and "désactivée" in error.value.reason
    assert not StatutRecord.objects.filter(collectivite=commune).exists()
    assert not HistoryEntry.objects.filter(collectivite=commune).exists()


def test_an_answer_can_desactivate_an_action(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.2.2.1", "fait")
    services.set_reponse(collectivite, editor.user, "demo_cep", "demo_cep_syndicat", "Le SDE assure le CEP.")
    with pytest.raises(InputError):
        services.set_statut(collectivite, editor.user, "cae_6.1.2.2.1", "pas_fait")
    assert services.scores(collectivite, "cae")["cae_6.1.2.2.1"]["desactive"] is True
    kinds = list(HistoryEntry.objects.filter(subject="demo_cep").values_list("kind", flat=True))
    assert sorted(kinds) == ["justification", "reponse"]


@pytest.mark.parametrize(
    ("avancement", "detaille", "field"),
    [
        ("detaille", [50, 30, 30], "detaille"),  # sums to 110
        ("detaille", [33, 33, 34], "detaille"),  # not 5 % steps
        ("detaille", [50, 50], "detaille"),
        ("fait", [100, 0, 0], "detaille"),
        ("presque", None, "avancement"),
    ],
)
def test_bad_statuts_write_nothing(
    collectivite: Collectivite, editor: Member, avancement: str, detaille: list[int] | None, field: str
) -> None:
    with pytest.raises(InputError) as error:
        services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", avancement, detaille)
    assert error.value.field == field
    assert not StatutRecord.objects.exists() and not HistoryEntry.objects.exists()


def test_statut_only_below_the_mesure(collectivite: Collectivite, editor: Member) -> None:
    with pytest.raises(InputError, match="sous-mesure"):
        services.set_statut(collectivite, editor.user, "cae_6.1.1", "fait")
    with pytest.raises(InputError, match="inconnue"):
        services.set_statut(collectivite, editor.user, "cae_9.9", "fait")


def test_stored_scores_equal_a_full_evaluation_after_writes(
    version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    user = editor.user
    services.set_statut(collectivite, user, "cae_6.1.1.1", "fait")
    services.set_statut(collectivite, user, "cae_6.1.1.2.1", "detaille", [35, 40, 25])
    services.set_reponse(collectivite, user, "demo_jumelage", "NON")
    services.set_statut(collectivite, user, "cae_6.1.1.3", "non_concerne")
    services.set_statut(collectivite, user, "cae_6.1.1.5.2", "programme")
    services.set_reponse(collectivite, user, "demo_cep", "demo_cep_syndicat")
    services.set_statut(collectivite, user, "cae_6.1.2.1.1", "pas_fait")
    services.set_statut(collectivite, user, "cae_6.1.1.1.2", "fait")  # resets 6.1.1.1
    services.set_statut(collectivite, user, "cae_6.1.1.3", None)
    services.set_reponse(collectivite, user, "demo_cep", None)
    stored = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae")
    assert stored.scores == full_evaluation(version, collectivite)
    assert HistoryEntry.objects.filter(kind="statut").count() == 8
    assert stored.scores["cae"]["point_fait"] > 0.0
