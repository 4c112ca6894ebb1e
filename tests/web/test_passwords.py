"""Passwords people choose: at least 12 characters, not a common one, not all digits, not their name."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import create_invitation
from tests.web.conftest import make_member

pytestmark = pytest.mark.django_db

WEAK = {
    "12345678": "entièrement numérique",
    "password": "trop courant",
    "123456789012": "entièrement numérique",
    "azertyuiop1": "trop court",
    "camille-durand": "trop semblable",  # the username itself
}


@pytest.mark.parametrize("password", list(WEAK))
def test_a_weak_password_does_not_create_the_account_of_an_invitation(
    collectivite: Collectivite, password: str
) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    token = create_invitation(collectivite, Role.EDITION, admin.user)
    response = Client().post(
        f"/invitation/{token}/",
        {"username": "camille-durand", "password1": password, "password2": password},
    )
    assert response.status_code == 400
    assert WEAK[password] in response.content.decode()  # Django's French message, on the page
    assert not User.objects.filter(username="camille-durand").exists()
    assert not Membership.objects.filter(collectivite=collectivite, role=Role.EDITION).exists()


def test_a_long_uncommon_password_creates_the_account(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    token = create_invitation(collectivite, Role.EDITION, admin.user)
    password = "velo-cargo-sous-la-pluie"
    response = Client().post(
        f"/invitation/{token}/", {"username": "camille", "password1": password, "password2": password}
    )
    assert response.status_code == 302
    assert User.objects.get(username="camille").check_password(password)


def test_validate_password_applies_the_same_rules() -> None:
    user = User(username="camille-durand")
    for password in WEAK:
        with pytest.raises(ValidationError):
            validate_password(password, user)
    validate_password("velo-cargo-sous-la-pluie", user)
