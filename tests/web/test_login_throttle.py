"""Login throttling: 5 failures of an account from one address, or 10 of an address, lock the login
(the right password too) for 15 minutes, on the login page and on the admin's; a locked-out attempt
never reaches the password hasher; an administrator unlocks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "velo-cargo-sous-la-pluie"


@pytest.fixture
def camille() -> User:
    return User.objects.create_user(username="camille", password=PASSWORD)


def attempt(client: Client, password: str, username: str = "camille", page: str = "/connexion/") -> Any:
    return client.post(page, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_fifty_wrong_passwords_then_the_right_one_is_refused(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(50):
        assert attempt(client, "mauvais-mot-de-passe").status_code in (200, 429)
    locked = attempt(client, PASSWORD)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Connexion bloquée" in page and "dans 15 minutes" in page
    assert "Un administrateur de Jalon peut lever le blocage" in page
    assert not logged_in(client)


def test_the_fifth_failure_locks_and_the_lock_ends_after_15_minutes(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(4):
        assert attempt(client, "mauvais-mot-de-passe").status_code == 200  # the form again, with its error
    assert attempt(client, "mauvais-mot-de-passe").status_code == 429
    assert attempt(client, PASSWORD).status_code == 429
    # Another address is not locked out of this account by these failures.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(other, PASSWORD).status_code == 302 and logged_in(other)
    # 15 minutes later, the right password logs in.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, PASSWORD).status_code == 302 and logged_in(client)


def test_a_success_clears_the_accounts_failures(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(4):
        attempt(client, "mauvais-mot-de-passe")
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/deconnexion/")
    for _ in range(4):
        assert attempt(client, "mauvais-mot-de-passe").status_code == 200
    assert attempt(client, PASSWORD).status_code == 302


def test_an_address_trying_many_accounts_is_locked_at_10_failures(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for n in range(9):
        assert attempt(client, "mauvais-mot-de-passe", username=f"personne{n % 3}").status_code == 200
    assert attempt(client, "mauvais-mot-de-passe", username="personne9").status_code == 429
    assert attempt(client, PASSWORD).status_code == 429
    assert attempt(Client(REMOTE_ADDR="192.0.2.11"), PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too() -> None:
    User.objects.create_superuser("root", "", PASSWORD)
    client = Client(REMOTE_ADDR="192.0.2.10")
    page = "/admin/login/?next=/admin/"
    for _ in range(5):
        attempt(client, "mauvais-mot-de-passe", username="root", page=page)
    assert attempt(client, PASSWORD, username="root", page=page).status_code == 429
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_an_administrator_unlocks_an_account(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        attempt(client, "mauvais-mot-de-passe")
    assert attempt(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "camille")
    assert attempt(client, PASSWORD).status_code == 302


def test_an_administrator_sees_and_deletes_a_lock_in_the_admin(camille: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        attempt(client, "mauvais-mot-de-passe")
    root = User.objects.create_superuser("root", "", PASSWORD)
    admin = Client()
    admin.force_login(root)
    assert "camille" in admin.get("/admin/axes/accessattempt/").content.decode()
    lock = AccessAttempt.objects.get(username="camille")
    delete = f"/admin/axes/accessattempt/{lock.pk}/delete/"
    assert admin.post(delete, {"post": "yes"}).status_code == 302
    assert attempt(client, PASSWORD).status_code == 302


def test_a_locked_out_attempt_does_not_hash_its_password(
    camille: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    verify, encode = Argon2PasswordHasher.verify, Argon2PasswordHasher.encode

    def counting_verify(self: Argon2PasswordHasher, password: str, encoded: str) -> bool:
        calls.append("verify")
        return verify(self, password, encoded)

    def counting_encode(self: Argon2PasswordHasher, password: str, salt: str) -> str:
        calls.append("encode")
        return encode(self, password, salt)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(Argon2PasswordHasher, "encode", counting_encode)
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        attempt(client, "mauvais-mot-de-passe")
    assert calls == ["verify"] * 5  # the five failures were checked
    for _ in range(20):
        assert attempt(client, "mauvais-mot-de-passe").status_code == 429
    assert attempt(client, PASSWORD).status_code == 429
    assert calls == ["verify"] * 5
    # The address goes on with unknown accounts (Django hashes then, to hide that they do not exist)
    # up to its own limit, 10 failures; then nothing it sends is hashed.
    for n in range(5):
        attempt(client, "mauvais-mot-de-passe", username=f"inconnu{n}")
    assert calls == ["verify"] * 5 + ["encode"] * 5
    for n in range(20):
        assert attempt(client, "mauvais-mot-de-passe", username=f"autre{n}").status_code == 429
    assert calls == ["verify"] * 5 + ["encode"] * 5


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy: the header is the client's word, ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.9.9.9, 203.0.113.9", "203.0.113.9"),  # an entry the client added on the left
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "", "127.0.0.1"),
    ],
)
def test_behind_proxies_the_address_is_the_one_the_outermost_proxy_saw(
    settings: Any, proxies: int, forwarded: str, expected: str
) -> None:
    from django.test import RequestFactory

    from jalon.web.throttle import client_address

    settings.JALON_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
