"""Invitation links: they name the collectivité and the role offered, serve once, expire after
JALON_INVITATION_DAYS days, can be revoked from the members page, and die when their creator is no longer
an admin of the collectivité."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from jalon.web.collectivites.models import Collectivite, Invitation, Membership, Role
from jalon.web.collectivites.services import change_role, create_invitation, remove_member
from tests.web.conftest import logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db

PASSWORD = "velo-cargo-sous-la-pluie"


def sign_up(token: str, username: str = "nina") -> tuple[int, str]:
    response = Client().post(
        f"/invitation/{token}/", {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )
    return response.status_code, unescape(response.content.decode())


def test_the_page_names_the_collectivite_and_the_role_offered(version: object) -> None:
    commune = make_collectivite(nom="Commune de Xertigny", type="commune", population=2_700)
    admin = make_member(commune, Role.ADMIN, "ada")
    token = create_invitation(commune, Role.EDITION, admin.user)
    page = Client().get(f"/invitation/{token}/").content.decode()
    assert "Vous êtes invité·e à rejoindre Commune de Xertigny avec le rôle Édition." in page


def test_a_link_expires_after_the_configured_days(collectivite: Collectivite, settings: object) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    before = timezone.now()
    create_invitation(collectivite, Role.LECTURE, admin.user)
    expires = Invitation.objects.get().expires_at
    assert timedelta(days=7) <= expires - before < timedelta(days=7, minutes=1)
    settings.JALON_INVITATION_DAYS = 2  # type: ignore[attr-defined]
    create_invitation(collectivite, Role.LECTURE, admin.user)
    assert Invitation.objects.order_by("-pk")[0].expires_at - before < timedelta(days=2, minutes=1)


def test_a_link_backdated_400_days_is_refused(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    token = create_invitation(collectivite, Role.ADMIN, admin.user)
    Invitation.objects.update(
        created_at=timezone.now() - timedelta(days=400), expires_at=timezone.now() - timedelta(days=393)
    )
    assert Client().get(f"/invitation/{token}/").status_code == 410
    status, page = sign_up(token)
    assert status == 410 and "Ce lien d'invitation a expiré le" in page
    assert not User.objects.filter(username="nina").exists()


def test_a_link_serves_once(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    token = create_invitation(collectivite, Role.EDITION, admin.user)
    assert sign_up(token, "nina")[0] == 302
    status, page = sign_up(token, "oscar")
    assert status == 404 and "a déjà servi" in page
    assert not User.objects.filter(username="oscar").exists()


def test_a_removed_admin_cannot_come_back_through_their_own_link(collectivite: Collectivite) -> None:
    ada, bob = make_member(collectivite, Role.ADMIN, "ada"), make_member(collectivite, Role.ADMIN, "bob")
    token = create_invitation(collectivite, Role.ADMIN, ada.user)
    remove_member(collectivite, bob.user, Membership.objects.get(user=ada.user).pk)
    response = logged_in(ada).post(f"/invitation/{token}/")
    assert response.status_code == 403
    assert "n'est plus admin de la collectivité" in unescape(response.content.decode())
    assert not Membership.objects.filter(user=ada.user, collectivite=collectivite).exists()


def test_an_admin_demoted_to_lecture_cannot_make_an_admin_with_an_earlier_link(
    collectivite: Collectivite,
) -> None:
    ada, bob = make_member(collectivite, Role.ADMIN, "ada"), make_member(collectivite, Role.ADMIN, "bob")
    token = create_invitation(collectivite, Role.ADMIN, ada.user)
    change_role(collectivite, bob.user, Membership.objects.get(user=ada.user).pk, Role.LECTURE)
    assert Client().get(f"/invitation/{token}/").status_code == 403
    status, page = sign_up(token, "complice")
    assert status == 403 and "Demandez-en un nouveau à un admin actuel." in page
    assert not User.objects.filter(username="complice").exists()
    assert Membership.objects.filter(collectivite=collectivite, role=Role.ADMIN).count() == 1


def test_the_members_page_lists_pending_links_and_revokes_them(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/membres/"
    client.post(page, {"role": Role.CONSEILLER})
    invitation = Invitation.objects.get()
    token = create_invitation(collectivite, Role.LECTURE, admin.user)
    Invitation.objects.exclude(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    html = client.get(page).content.decode()
    row = html.split(f'data-testid="invitation-{invitation.pk}"')[1].split("</tr>")[0]
    assert ">Conseiller<" in row and ">ada<" in row
    assert timezone.localtime(invitation.expires_at).strftime("%Y") in row and "expirée" not in row
    assert "expirée le" in html  # the other one
    assert client.post(page, {"revoquer": str(invitation.pk)}).status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert Client().get(f"/invitation/{token}/").status_code == 410


def test_a_wrong_number_of_days_is_named_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from django.core.exceptions import ImproperlyConfigured

    import jalon.web.settings

    for wrong in ("sept", "0", "-3"):
        monkeypatch.setenv("JALON_INVITATION_DAYS", wrong)
        with pytest.raises(ImproperlyConfigured, match="JALON_INVITATION_DAYS : attendu un nombre entier"):
            runpy.run_path(jalon.web.settings.__file__)
    monkeypatch.setenv("JALON_INVITATION_DAYS", "30")
    assert runpy.run_path(jalon.web.settings.__file__)["JALON_INVITATION_DAYS"] == 30
