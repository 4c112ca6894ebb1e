"""The operator's commands of ``jalon`` (utilisateur, collectivite, jeton, referentiel importer), called as
the command line is, on the test database; then once as a process of its own on a fresh folder, the way
``jalon serve`` tells to reset the admin password."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from typer.testing import CliRunner, Result

from jalon.cli import app
from jalon.loading import DEMO_DIR
from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import user_of_token
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import current_version
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import make_collectivite, make_member
from tests.web.test_serve import JALON, database  # noqa: F401  (a fixture)

Jalon = Callable[..., Result]


@pytest.fixture
def jalon(db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Jalon]:
    """Run ``jalon ARGS`` in this process, on the test database (the one Django is set up with here);
    the environment the command sets is put back afterwards."""
    for name in ("JALON_DATA_DIR", "JALON_SECRET_KEY", "DATABASE_URL"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, [*args, "--data", str(tmp_path / "data")], input=input)

    yield run


def password_of(result: Result, username: str) -> str:
    line = next(
        line for line in result.stdout.splitlines() if line.startswith(f"Mot de passe de {username} : ")
    )
    return line.rsplit(" ", 1)[1]


# -- utilisateur --------------------------------------------------------------------------------


def test_utilisateur_creer_with_a_generated_password_prints_it_once_and_it_signs_in(jalon: Jalon) -> None:
    result = jalon("utilisateur", "creer", "camille", "--email", "c@example.org", "--generer")
    assert result.exit_code == 0, result.output
    password = password_of(result, "camille")
    assert "affiché cette fois seulement" in result.stdout
    user = User.objects.get(username="camille")
    assert (user.email, user.is_staff, user.is_superuser) == ("c@example.org", False, False)
    assert Client().login(username="camille", password=password)


def test_utilisateur_creer_asks_the_password_twice_and_a_superuser_gets_the_admin(jalon: Jalon) -> None:
    typed = "une phrase de passe\n"
    result = jalon("utilisateur", "creer", "root2", "--superutilisateur", input=typed * 2)
    assert result.exit_code == 0, result.output
    assert "une phrase de passe" not in result.stdout.replace("Nouveau mot de passe", "")  # never echoed
    user = User.objects.get(username="root2")
    assert user.is_superuser and user.is_staff and user.check_password("une phrase de passe")


@pytest.mark.parametrize(
    ("args", "typed", "reason"),
    [
        (["camille"], "court\ncourt\n", "Ce mot de passe est trop court"),
        (["camille"], "une phrase de passe\nune autre phrase\n", "les deux saisies diffèrent"),
        (["edith", "--generer"], None, "le nom d'utilisateur « edith » est déjà pris"),
        (["deux mots", "--generer"], None, "nom d'utilisateur « deux mots » refusé"),
    ],
)
def test_utilisateur_creer_refuses_in_french_with_status_1_and_creates_nothing(
    jalon: Jalon, args: list[str], typed: str | None, reason: str
) -> None:
    make_member(None, None, "edith")
    result = jalon("utilisateur", "creer", *args, input=typed)
    assert result.exit_code == 1
    assert reason in result.stderr
    assert result.stderr.startswith("Refusé : ")
    assert list(User.objects.values_list("username", flat=True)) == ["edith"]


def test_utilisateur_mot_de_passe_replaces_the_password(jalon: Jalon) -> None:
    make_member(None, None, "edith")
    result = jalon("utilisateur", "mot-de-passe", "edith", "--generer")
    assert result.exit_code == 0, result.output
    assert Client().login(username="edith", password=password_of(result, "edith"))
    assert not Client().login(username="edith", password="mot-de-passe-de-test")

    result = jalon("utilisateur", "mot-de-passe", "edith", input="court\ncourt\n")
    assert result.exit_code == 1 and "trop court" in result.stderr
    result = jalon("utilisateur", "mot-de-passe", "personne", "--generer")
    assert result.exit_code == 1 and "aucun utilisateur ne s'appelle « personne »" in result.stderr


def test_utilisateur_debloquer_says_when_login_throttling_is_not_installed(
    jalon: Jalon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apps, "is_installed", lambda name: False)
    result = jalon("utilisateur", "debloquer", "edith")
    assert result.exit_code == 1
    assert "django-axes" in result.stderr and "n'est pas en place" in result.stderr
    result = jalon("utilisateur", "debloquer")
    assert result.exit_code == 1 and "donnez un nom d'utilisateur" in result.stderr


def test_utilisateur_debloquer_resets_the_account_and_the_address_through_axes(
    jalon: Jalon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Axes' own reset function is what is called, once per thing to unlock (with both at once it
    would only forget the failures of that account from that address)."""
    make_member(None, None, "edith")
    calls: list[dict[str, Any]] = []

    def reset(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 3

    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name == "axes" or installed(name))
    monkeypatch.setitem(sys.modules, "axes.utils", types.SimpleNamespace(reset=reset))
    result = jalon("utilisateur", "debloquer", "edith", "--adresse", "192.0.2.7")
    assert result.exit_code == 0, result.output
    assert calls == [{"username": "edith"}, {"ip": "192.0.2.7"}]
    assert "Débloqué : le compte edith et l'adresse 192.0.2.7 (6 enregistrement(s)" in result.stdout
    result = jalon("utilisateur", "debloquer", "personne")
    assert result.exit_code == 1 and "aucun utilisateur" in result.stderr


def test_utilisateur_debloquer_with_axes_installed_forgets_the_failures(jalon: Jalon) -> None:
    """Against the real django-axes, where it is installed (it comes with the login throttling)."""
    if not apps.is_installed("axes"):
        pytest.skip("django-axes is not installed in this tree")
    from axes.models import AccessAttempt  # type: ignore[import-not-found,unused-ignore]

    make_member(None, None, "edith")
    fields = {
        "user_agent": "t",
        "http_accept": "*/*",
        "path_info": "/connexion/",
        "get_data": "",
        "post_data": "",
    }
    AccessAttempt.objects.create(username="edith", ip_address="192.0.2.7", failures_since_start=9, **fields)
    AccessAttempt.objects.create(username="autre", ip_address="192.0.2.8", failures_since_start=9, **fields)
    result = jalon("utilisateur", "debloquer", "edith")
    assert result.exit_code == 0, result.output
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["autre"]


# -- collectivite -------------------------------------------------------------------------------


def test_collectivite_creer_with_its_first_admin_and_the_history_entry(
    jalon: Jalon, version: ReferentielVersion
) -> None:
    make_member(None, None, "ada")
    result = jalon(
        "collectivite",
        "creer",
        "Ville de Test",
        "--type",
        "commune",
        "--population",
        "12 000",
        "--admin",
        "ada",
    )
    assert result.exit_code == 0, result.output
    c = Collectivite.objects.get()
    assert (c.nom, c.type, c.population, c.localisation) == ("Ville de Test", "commune", 12_000, "Metropole")
    assert f"Collectivité n° {c.pk} créée" in result.stdout
    assert Membership.objects.get(collectivite=c).role == Role.ADMIN
    entry = HistoryEntry.objects.get(collectivite=c)
    assert (entry.kind, entry.subject, entry.new, entry.user_id) == (Kind.MEMBRE, "ada", Role.ADMIN, None)
    listing = jalon("collectivite", "liste")
    assert listing.exit_code == 0 and "Ville de Test" in listing.stdout and "ada" in listing.stdout


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--population", "beaucoup", "population : un nombre entier d'habitants est attendu"),
        ("--type", "region", "type : valeur inconnue 'region'"),
        ("--localisation", "Mars", "localisation : valeur inconnue 'Mars'"),
        ("--admin", "personne", "aucun utilisateur ne s'appelle « personne »"),
    ],
)
def test_collectivite_creer_refuses_bad_input_and_creates_nothing(
    jalon: Jalon, option: str, value: str, reason: str
) -> None:
    make_member(None, None, "ada")
    options = {"--type": "EPCI", "--population": "45000", "--localisation": "DOM", "--admin": "ada"}
    options[option] = value
    result = jalon("collectivite", "creer", "X", *[word for pair in options.items() for word in pair])
    assert result.exit_code == 1
    assert reason in result.stderr
    assert not Collectivite.objects.exists() and not HistoryEntry.objects.exists()


def test_collectivite_membre_adds_changes_and_retirer_removes_each_in_the_history(
    jalon: Jalon, collectivite: Collectivite
) -> None:
    make_member(collectivite, Role.ADMIN, "ada")
    make_member(None, None, "bob")
    steps = [
        (("membre", str(collectivite.pk), "bob", "--role", "edition"), "bob rejoint"),
        (("membre", collectivite.nom, "bob", "--role", "auditeur"), "edition → auditeur"),
        (("retirer", str(collectivite.pk), "bob"), "ne fait plus partie"),
    ]
    for args, said in steps:
        result = jalon("collectivite", *args)
        assert result.exit_code == 0, result.output
        assert said in result.stdout
    entries = HistoryEntry.objects.filter(collectivite=collectivite, kind=Kind.MEMBRE).order_by("id")
    assert [(e.subject, e.previous, e.new, e.user_id) for e in entries] == [
        ("bob", None, "edition", None),
        ("bob", "edition", "auditeur", None),
        ("bob", "auditeur", None, None),
    ]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("membre", "{c}", "ada", "--role", "lecture"), "ada est le dernier admin"),
        (("retirer", "{c}", "ada"), "ada est le dernier admin"),
        (("membre", "{c}", "ada", "--role", "chef"), "rôle inconnu « chef »"),
        (("membre", "999999", "ada", "--role", "lecture"), "aucune collectivité « 999999 »"),
        (("membre", "Nulle part", "ada", "--role", "lecture"), "aucune collectivité « Nulle part »"),
        (("retirer", "{c}", "bob"), "bob n'est pas membre"),
    ],
)
def test_collectivite_membre_refusals(
    jalon: Jalon, collectivite: Collectivite, args: tuple[str, ...], reason: str
) -> None:
    make_member(collectivite, Role.ADMIN, "ada")
    make_member(None, None, "bob")
    result = jalon("collectivite", *[a.format(c=collectivite.pk) for a in args])
    assert result.exit_code == 1
    assert reason in result.stderr
    assert Membership.objects.get(collectivite=collectivite).role == Role.ADMIN
    assert not HistoryEntry.objects.exists()


def test_a_name_two_collectivites_share_asks_for_the_number(jalon: Jalon, collectivite: Collectivite) -> None:
    make_collectivite(collectivite.nom)
    make_member(None, None, "bob")
    result = jalon("collectivite", "membre", collectivite.nom, "bob", "--role", "lecture")
    assert result.exit_code == 1 and "donnez son numéro" in result.stderr


# -- jeton ---------------------------------------------------------------------------------------


def test_jeton_creer_prints_a_working_token_once_liste_shows_its_end_revoquer_ends_it(jalon: Jalon) -> None:
    edith = make_member(None, None, "edith").user  # and a token "tests"
    result = jalon("jeton", "creer", "edith", "--nom", "script d'export")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert user_of_token(token) == edith
    assert "affiché cette fois seulement" in result.stderr
    listing = jalon("jeton", "liste", "edith")
    line = next(line for line in listing.stdout.splitlines() if "script d'export" in line)
    assert f"…{token[-4:]}" in line and token not in listing.stdout
    token_id = line.split()[0]
    assert jalon("jeton", "revoquer", "edith", token_id).exit_code == 0
    assert user_of_token(token) is None
    again = jalon("jeton", "revoquer", "edith", token_id)
    assert again.exit_code == 1 and f"edith n'a pas de jeton n° {token_id}" in again.stderr
    assert jalon("jeton", "liste", "edith").stdout.count("\n") == 1  # the fixture's own token is left


# -- referentiel importer ---------------------------------------------------------------------


def test_referentiel_importer_imports_a_new_version_and_refuses_a_broken_folder_keeping_the_previous(
    jalon: Jalon, tmp_path: Path
) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    result = jalon("referentiel", "importer", str(folder))
    assert result.exit_code == 0, result.output
    first = current_version()
    assert first is not None and f"version {first.pk}" in result.stdout
    result = jalon("referentiel", "importer", str(folder))
    assert result.exit_code == 0 and "Identique à la version" in result.stdout

    (folder / "personnalisations" / "demo.md").write_text("# Cassée\n```yaml\naction_id: cae_9.9\n```\n")
    result = jalon("referentiel", "importer", str(folder))
    assert result.exit_code == 1
    assert result.stdout.startswith("personnalisations/demo.md:1: cae_9.9: ")  # file:line: id: message
    assert f"rien n'a été importé ; la version {first.pk} reste en service" in result.stderr
    assert current_version() == first and ReferentielVersion.objects.count() == 1
    missing = jalon("referentiel", "importer", str(tmp_path / "absent"))
    assert missing.exit_code == 1 and "ce n'est pas un dossier" in missing.stderr


def test_referentiel_importer_takes_a_criteria_file_given_apart_and_names_it_in_its_problems(
    jalon: Jalon, tmp_path: Path
) -> None:
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    criteres = tmp_path / "criteres.yml"
    shutil.move(folder / "labellisation" / "criteres.yml", criteres)
    text = criteres.read_text(encoding="utf-8")
    broken = tmp_path / "casse.yml"
    broken.write_text(text.replace("action: cae_6.1.1, ", "action: cae_6.1.9, ", 1), encoding="utf-8")
    line = text[: text.index("action: cae_6.1.1, ")].count("\n") + 1
    result = jalon("referentiel", "importer", str(folder), "--criteres", str(broken))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{broken}:{line}: cae_6.1.9: action inconnue du référentiel cae.")
    assert current_version() is None
    result = jalon("referentiel", "importer", str(folder), "--criteres", str(criteres))
    assert result.exit_code == 0, result.output
    version = current_version()
    assert version is not None and version.files["labellisation/criteres.yml"] == text


# -- as a process of its own ----------------------------------------------------------------------


def test_a_command_on_a_fresh_folder_creates_the_tables_and_the_engine_commands_never_load_django(
    tmp_path: Path,
    database: list[str],  # noqa: F811
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    created = subprocess.run(
        [str(JALON), "utilisateur", "creer", "admin", "--generer", *database],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert created.returncode == 0, created.stderr
    # The command `jalon serve` prints for a lost admin password, on the same folder.
    reset = subprocess.run(
        [str(JALON), "utilisateur", "mot-de-passe", "admin", "--generer", *database],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert reset.returncode == 0, reset.stderr
    assert "Mot de passe de admin : " in reset.stdout
    if not database:
        assert (tmp_path / ".jalon" / "jalon.sqlite3").exists()
        # JALON_DATA_DIR chooses the folder, as --data does.
        elsewhere = subprocess.run(
            [str(JALON), "utilisateur", "creer", "autre", "--generer"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**env, "JALON_DATA_DIR": str(tmp_path / "ailleurs")},
        )
        assert elsewhere.returncode == 0, elsewhere.stderr
        assert (tmp_path / "ailleurs" / "jalon.sqlite3").exists()
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, jalon.cli; print('django' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
