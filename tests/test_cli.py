"""The jalon command line, end to end on the official data and on the bundled demo."""

from __future__ import annotations

import io
import json
import shlex
import sys
import unicodedata
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import jalon
from jalon import cli
from jalon.cli import app
from jalon.scores.engine import SCORE_FIELDS
from tests.conftest import FIXTURES, REFERENTIELS

runner = CliRunner()
SCENARIO = FIXTURES / "propagation" / "cae_1.1.1.test.yml"


def test_evaluate_prints_every_node_of_cae_and_eci_with_exactly_the_score_fields() -> None:
    result = runner.invoke(app, ["evaluate", str(SCENARIO), "--referentiels", str(REFERENTIELS)])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert len(scores) == 1839
    assert sum(1 for k in scores if k.startswith("cae")) == 1471
    assert all(set(fields) == set(SCORE_FIELDS) for fields in scores.values())
    assert scores["cae_1.1.1"]["point_fait"] == 3.3
    assert scores["eci"]["point_referentiel"] == 500


def test_the_python_api_returns_what_evaluate_prints() -> None:
    loaded = jalon.load(REFERENTIELS)
    result = runner.invoke(app, ["evaluate", str(SCENARIO), "--referentiels", str(REFERENTIELS)])
    scenario = {
        "Statuts": {
            "cae_1.1.1.1.1": "fait",
            "cae_1.1.1.1.2": "fait",
            "cae_1.1.1.2": "programme",
            "cae_1.1.1.4": "fait",
            "cae_1.1.1.4.1": "fait",
            "cae_1.1.1.4.2": "fait",
            "cae_1.1.1.4.3": "non_concerne",
            "cae_1.1.1.5": "pas_fait",
            "cae_1.1.1.6": "programme",
            "cae_1.1.1.7.1": "fait",
            "cae_1.1.1.7.2": [0.5, 0.5, 0],
            "cae_1.1.1.7.3": "programme",
        }
    }
    assert jalon.evaluate(loaded, scenario) == json.loads(result.stdout)


def test_check_runs_every_official_scenario_and_reports_them_passed() -> None:
    result = runner.invoke(app, ["check", str(FIXTURES), "--referentiels", str(REFERENTIELS)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "43 réussi(s), 0 en échec"


def test_check_prints_each_failing_field_and_exits_non_zero(tmp_path: Path) -> None:
    scenario = tmp_path / "wrong.test.yml"
    scenario.write_text(
        "Statuts:\n  cae_1.1.1.1.1: fait\nScores:\n  cae_1.1.1.1:\n    point_fait: 0.3\n"
        "    point_programme: 0.2\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(scenario), "--referentiels", str(REFERENTIELS)])
    assert result.exit_code == 1
    assert f"ÉCHEC {scenario}:4 : cae_1.1.1.1.point_programme : attendu 0.2, obtenu 0.0" in result.stdout
    assert "point_fait" not in result.stdout  # 0.3 is right: only the wrong field is listed
    assert result.stdout.strip().splitlines()[-1] == "0 réussi(s), 1 en échec"


def test_check_reports_bad_scenarios_with_file_and_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.test.yml"
    scenario.write_text(
        "Statuts:\n  cae_1.1.1.1.1: faitt\n  cae_9.9.9: fait\n  cae_1.1.1.1.2: [0.5, 0.6, 0]\n"
        "Réponses:\n  dechets_4: 1.5\n  AOM_1: peut-être\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(scenario), "--referentiels", str(REFERENTIELS)])
    assert result.exit_code == 1
    out = result.stdout
    assert f"{scenario}:2: cae_1.1.1.1.1: statut inconnu 'faitt'" in out
    assert f"{scenario}:3: cae_9.9.9: action inconnue" in out
    assert f"{scenario}:4: cae_1.1.1.1.2: the fractions fait, programmé, pas fait must sum to 1" in out
    assert (
        f"{scenario}:6: dechets_4: la réponse « 1.5 » ne convient pas : attendu une proportion, un nombre "
        "entre 0 et 1"
    ) in out
    assert (
        f"{scenario}:7: AOM_1: la réponse « peut-être » ne convient pas : attendu OUI ou NON "
        "(question binaire)"
    ) in out


def test_evaluate_reports_a_broken_yaml_file_with_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yml"
    scenario.write_text("Statuts:\n  cae_1.1.1.1.1: [fait\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(scenario), "--referentiels", str(REFERENTIELS)])
    assert result.exit_code == 2
    assert f"{scenario}:3: YAML invalide" in result.stderr


def test_validate_accepts_the_official_folder() -> None:
    result = runner.invoke(app, ["referentiel", "validate", str(REFERENTIELS)])
    assert result.exit_code == 0, result.output
    assert "cae: 1471 actions, 500 points" in result.stdout


def test_validate_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "refs" / "cae"
    folder.mkdir(parents=True)
    (folder / "cae.md").write_text(
        '# Racine\n```yaml\nidentifiant: ""\nreferentiel: cae\n```\n', encoding="utf-8"
    )
    (folder / "1.md").write_text(
        "# Axe\n```yaml\nidentifiant: 1\npoints: 10\n```\n## Actions\n"
        "### A\n```yaml\nidentifiant: 1.1\npourcentage: 50\n```\n"
        "### B\n```yaml\nidentifiant: 1.2\npourcentage: 49\n```\n",
        encoding="utf-8",
    )
    (folder / "2.md").write_text("# Axe 2\n```yaml\nidentifiant: 2\npoints: [\n```\n", encoding="utf-8")
    result = runner.invoke(app, ["referentiel", "validate", str(tmp_path / "refs")])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 2
    assert any(line.startswith("cae/1.md:") and "100" in line for line in lines)
    assert any(line.startswith("cae/2.md:4") for line in lines)


def test_commands_use_the_bundled_demo_without_referentiels() -> None:
    result = runner.invoke(app, ["check", str(jalon.loading.DEMO_SCENARIO)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("1 réussi(s), 0 en échec")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "étoile" in result.stdout


def test_load_without_a_path_gives_the_demo() -> None:
    loaded = jalon.load()
    assert set(loaded.referentiels) == {"cae"}
    assert loaded.referentiels["cae"].actions["cae_6.1.1"].points == 6


def demo_output(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """The lines ``jalon demo`` prints to an 80-column terminal."""
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, width=80, highlight=False, soft_wrap=True))
    result = runner.invoke(app, ["demo", *args])
    assert result.exit_code == 0, result.output
    return screen.getvalue().splitlines()


def test_demo_tables_hold_in_80_columns_with_the_names_whole_and_the_numbers_right_aligned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = demo_output(monkeypatch, str(SCENARIO), "--referentiels", str(REFERENTIELS))
    assert max(len(line) for line in lines) <= 80
    text = " ".join(lines)
    loaded = jalon.load(REFERENTIELS)
    cae = loaded.referentiels["cae"]
    shown = [a.nom for a in cae.actions.values() if a.depth <= cae.action_level + 1]
    longest = unicodedata.normalize("NFC", max(shown, key=len))
    assert len(longest) > 60  # wrapped, not cut
    assert all(word in text for word in longest.split())
    # The numbers end each row at the same column: right-aligned.
    row = next(line for line in lines if line.lstrip().startswith("1.1.1 "))
    header = next(line for line in lines if "potentiel" in line)
    assert len(row.rstrip()) == len(header.rstrip())


def test_demo_of_the_bundled_demo_holds_in_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = demo_output(monkeypatch)
    assert max(len(line) for line in lines) <= 80
    assert any("étoile" in line for line in lines)


def test_the_reset_command_serve_prints_names_only_what_a_bare_jalon_would_not_find(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "argv", ["/opt/app/.venv/bin/jalon", "serve"])  # not the one on the PATH
    monkeypatch.delenv("JALON_DATA_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    reset = "/opt/app/.venv/bin/jalon utilisateur mot-de-passe admin"
    assert cli.reset_command(None, Path(".jalon")) == reset
    data = tmp_path / "données"
    assert cli.reset_command("sqlite:///a b.sqlite3", data) == (
        f"{reset} --database 'sqlite:///a b.sqlite3' --data {shlex.quote(str(data))}"
    )
    monkeypatch.setenv("JALON_DATA_DIR", str(data))  # set in the shell: the next command finds it too
    monkeypatch.setenv("DATABASE_URL", "sqlite:///a b.sqlite3")
    assert cli.reset_command("sqlite:///a b.sqlite3", data) == reset
    assert cli.reset_command(None, Path(".jalon")) == f"{reset} --data .jalon"
    # The options after the command, which is what takes them.
    result = runner.invoke(app, ["utilisateur", "mot-de-passe", "--help"])
    assert "--database" in result.stdout and "--data" in result.stdout
