"""Fixtures of the web tests: the demo référentiel imported, a collectivité, one member per role."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.models import User
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import create_api_token
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts import write


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 as in production, at its lowest cost. The production cost (100 MiB per hash) on every user
    a test creates and every login it makes was most of the web suite's time."""

    time_cost = 1
    memory_cost = 8  # KiB: Argon2's minimum, 8 per lane
    parallelism = 1


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.QuickArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _log_streams_kept() -> Iterator[None]:
    """A ``jalon`` command run in this process (typer's CliRunner) sets Django up again, which points the
    log handlers at the runner's captured stream, closed once the command returns: the handlers get back
    the stream they wrote to before the test (else the next test that logs fails on a closed file)."""
    before = [h.stream for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    yield
    after = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    if before and after:
        for handler in after:
            handler.stream = before[0]  # no setStream: it would flush the closed stream first


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path: Path) -> Path:
    """Every web test keeps the files it stores (the bibliothèque's) in its own temporary folder, never
    in the working copy's data directory, where a later test (a backup's) would find them."""
    location = tmp_path / "fichiers"
    settings.MEDIA_ROOT = str(location)  # where the default storage keeps them, as in production
    return location


@pytest.fixture(autouse=True)
def _fresh_scored_states() -> Iterator[None]:
    write.forget_scored_states()
    yield
    write.forget_scored_states()


@pytest.fixture
def version(db: None) -> ReferentielVersion:
    return import_folder(None).version


def make_collectivite(
    nom: str = "Communauté de démo", type: str = "EPCI", population: int = 45_000
) -> Collectivite:
    return Collectivite.objects.create(nom=nom, type=type, population=population, localisation="Metropole")


@pytest.fixture
def collectivite(version: ReferentielVersion) -> Collectivite:
    return make_collectivite()


@dataclass
class Member:
    user: User
    token: str

    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")


def make_member(collectivite: Collectivite | None, role: str | None, username: str) -> Member:
    user = User.objects.create_user(username=username, password="mot-de-passe-de-test")
    if collectivite is not None and role is not None:
        Membership.objects.create(user=user, collectivite=collectivite, role=role)
    return Member(user, create_api_token(user, "tests"))


def logged_in(member: Member) -> Client:
    """A client signed in as the member, by a session (the pages' way; the API also takes it)."""
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


@pytest.fixture
def editor(collectivite: Collectivite) -> Member:
    return make_member(collectivite, Role.EDITION, "edith")


def count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, one référentiel id per state the write primitive reads and scores anew (a miss of
    its memo)."""
    done: list[str] = []
    real = write._live

    def counting(referentiel: Any, *args: Any) -> Any:
        done.append(referentiel.id)
        return real(referentiel, *args)

    monkeypatch.setattr(write, "_live", counting)
    return done


def count_rescorings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, one item per write that rescores every référentiel (a change of the rules' inputs:
    answers, identity)."""
    done: list[int] = []
    real = write.Write._before_rules_change

    def counting(self: write.Write) -> None:
        done.append(self.collectivite_id)
        real(self)

    monkeypatch.setattr(write.Write, "_before_rules_change", counting)
    return done
