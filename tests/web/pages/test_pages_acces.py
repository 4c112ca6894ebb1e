"""Every role × the settings, history and members pages × own / foreign collectivité."""

from __future__ import annotations

import pytest

from jalon.web.collectivites.models import Collectivite, Membership, Role
from tests.web.conftest import logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db

READ = ["/parametres/", "/historique/", "/historique/scores/?date=2030-01-01", "/membres/"]


@pytest.mark.parametrize("role", [*Role.values, None])
def test_reads_for_members_writes_for_admins(collectivite: Collectivite, role: str | None) -> None:
    foreign = make_collectivite("Ailleurs", "commune", 900)
    other = make_member(collectivite, Role.LECTURE, "autre")
    target = Membership.objects.get(user=other.user).pk
    client = logged_in(make_member(collectivite, role, "personne"))
    for page in READ:
        assert client.get(f"/c/{collectivite.pk}{page}").status_code == (200 if role else 404), page
        assert client.get(f"/c/{foreign.pk}{page}").status_code == 404, page
    writes = [
        ("/parametres/", {"nom": "X", "type": "commune", "population": "10", "localisation": "DOM"}),
        ("/membres/", {"changer": str(target), "nouveau_role": Role.EDITION}),
        ("/membres/", {"retirer": str(target)}),
    ]
    for page, data in writes:
        expected = 404 if role is None else 302 if role == Role.ADMIN else 403
        assert client.post(f"/c/{foreign.pk}{page}", data).status_code == 404, page
        assert client.post(f"/c/{collectivite.pk}{page}", data).status_code == expected, page
    collectivite.refresh_from_db()
    written = role == Role.ADMIN
    assert (collectivite.nom == "X") == written
    assert Membership.objects.filter(pk=target).exists() == (not written)
