"""The history's filter by subject (the page's « Action ou question », the API's ``subject``) takes what
a person types: an internal id, a number in any référentiel (« 6.1.1 »), or words of a name, accents and
case aside."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member

pytestmark = pytest.mark.django_db

SUBJECTS = [
    (Kind.STATUT, "cae_6.1.1.2.1"),
    (Kind.EXPLICATION, "cae_6.1.1"),
    (Kind.STATUT, "cae_6.1.2.1.1"),
    (Kind.STATUT, "cae_16.1.1"),  # not 6.1.1
    (Kind.STATUT, "cae_6.1.10"),  # not 6.1.1 either
    (Kind.STATUT, "eci_6.1.1.3"),  # 6.1.1 of another référentiel
    (Kind.REPONSE, "demo_jumelage"),
    (Kind.MEMBRE, "marie_6.1.1"),  # a username, however it looks, is no action
]
NEW = {
    Kind.STATUT: {"avancement": "fait"},
    Kind.EXPLICATION: "x",
    Kind.REPONSE: "OUI",
    Kind.MEMBRE: "edition",
}


def matched(collectivite: Collectivite, editor: Member, subject: str) -> tuple[set[str], set[str]]:
    """What the API and the page keep for ``subject``."""
    HistoryEntry.objects.bulk_create(
        HistoryEntry(collectivite=collectivite, kind=kind, subject=s, user=editor.user, new=NEW[kind])
        for kind, s in SUBJECTS
    )
    api = editor.client().get(f"/api/collectivites/{collectivite.pk}/historique", {"subject": subject})
    assert api.status_code == 200
    client = Client()
    assert client.login(username=editor.user.username, password="mot-de-passe-de-test")
    page = client.get(f"/c/{collectivite.pk}/historique/", {"action": subject})
    assert page.status_code == 200
    shown = {int(i) for i in re.findall(r'data-testid="entree-(\d+)"', page.content.decode())}
    from_page = set(HistoryEntry.objects.filter(pk__in=shown).values_list("subject", flat=True))
    return {h["subject"] for h in api.json()}, from_page


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("6.1.1", {"cae_6.1.1.2.1", "cae_6.1.1", "eci_6.1.1.3"}),
        (" 6.1.1. ", {"cae_6.1.1.2.1", "cae_6.1.1", "eci_6.1.1.3"}),
        ("6.1.2", {"cae_6.1.2.1.1"}),
        # The demo's mesure 6.1.1 is « Construire des partenariats climat-air-énergie à toutes les échelles ».
        ("ENERGIE A TOUTES", {"cae_6.1.1.2.1", "cae_6.1.1"}),
        ("jumelage", {"demo_jumelage"}),  # a question's wording
        ("cae_6.1.1", {"cae_6.1.1.2.1", "cae_6.1.1"}),  # the internal id still works
        ("rien de tel", set()),
    ],
)
def test_history_filter_takes_numbers_and_names(
    collectivite: Collectivite, editor: Member, subject: str, expected: set[str]
) -> None:
    api, page = matched(collectivite, editor, subject)
    assert api == expected and page == expected
