"""A statut reads the same from every endpoint of the API: ``{"avancement": …}``, with ``detaille`` only
for the avancement « detaille » (left out otherwise, never null), as its schema (``StatutOut``) says."""

from __future__ import annotations

import json

import pytest

from jalon.web.collectivites.models import Collectivite
from tests.web.conftest import Member

pytestmark = pytest.mark.django_db

TACHES = {
    "cae_6.1.1.2.1": {"avancement": "fait"},
    "cae_6.1.1.2.2": {"avancement": "detaille", "detaille": [50, 25, 25]},
}


def test_detaille_only_with_the_avancement_detaille(collectivite: Collectivite, editor: Member) -> None:
    client = editor.client()
    base = f"/api/collectivites/{collectivite.pk}"
    for action_id, statut in TACHES.items():
        response = client.put(
            f"{base}/statuts/{action_id}", json.dumps(statut), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["statut"] == statut
    assert client.get(f"{base}/statuts").json() == TACHES
    tree = {n["action_id"]: n["statut"] for n in client.get(f"{base}/referentiels/cae").json()}
    assert {a: tree[a] for a in TACHES} == TACHES
    assert tree["cae_6.1.1.2.3"] is None
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["StatutOut"]
    assert schema["required"] == ["avancement"]
