"""The user an API token authenticates is the account as stored, field by field."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from jalon.web.collectivites.services import create_api_token, user_of_token


@pytest.mark.django_db
def test_a_token_gives_the_accounts_own_name_and_flags() -> None:
    user = User.objects.create_user(username="edith", password="mot-de-passe-de-test", is_staff=True)
    found = user_of_token(create_api_token(user, "tests"))
    assert found is not None
    assert (found.pk, found.username, found.is_active, found.is_staff, found.is_superuser) == (
        user.pk,
        "edith",
        True,
        True,
        False,
    )
