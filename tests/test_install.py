"""`pip install jalon` gives the engine and its command line without the web application (`jalon[web]`).

Slow (about a minute): a fresh virtual environment and a real install, with the dependencies pip resolves
(from its cache, else the package index); `pytest -m 'not slow'` leaves it out.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jalon
from jalon.cli import WEB_MISSING, app, missing_web_packages
from jalon.loading import DEMO_SCENARIO
from jalon.scenarios import evaluate_scenario, read_scenario

REPO = Path(__file__).resolve().parents[1]


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, timeout=600
    )


@pytest.mark.slow
def test_pip_install_without_extras_gives_the_engine_and_cli_but_no_web(tmp_path: Path) -> None:
    # A copy of what the build reads, so that the build leaves nothing in the working tree.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    installed = run(bin_dir / "pip", "install", "--quiet", source, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    assert run(bin_dir / "python", "-c", "import jalon", cwd=tmp_path).returncode == 0
    for web_only in ("django", "granian", "psycopg", "ninja", "orjson", "django_htmx", "argon2"):
        absent = run(bin_dir / "python", "-c", f"import {web_only}", cwd=tmp_path)
        assert absent.returncode != 0 and "ModuleNotFoundError" in absent.stderr, web_only

    # The installed package's own demo scenario (package data), evaluated as here.
    demo = run(
        bin_dir / "python",
        "-c",
        "from jalon.loading import DEMO_SCENARIO; print(DEMO_SCENARIO)",
        cwd=tmp_path,
    )
    scenario = Path(demo.stdout.strip())
    assert scenario.is_relative_to(env_dir) and scenario.is_file()
    evaluated = run(bin_dir / "jalon", "evaluate", scenario, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    loaded = jalon.load()
    assert json.loads(evaluated.stdout) == evaluate_scenario(loaded, read_scenario(DEMO_SCENARIO, loaded))

    for command in (["serve"], ["utilisateur", "creer", "marie"], ["referentiel", "importer", str(source)]):
        refused = run(bin_dir / "jalon", *command, cwd=tmp_path)
        assert refused.returncode == 1, command
        assert refused.stderr.splitlines()[0] == WEB_MISSING, command
        assert "Traceback" not in refused.stderr
        assert "Django" in refused.stderr.splitlines()[1]  # what is missing is named


@pytest.mark.parametrize(
    "command", [["serve"], ["utilisateur", "mot-de-passe", "admin"], ["jeton", "liste", "admin"]]
)
def test_a_web_command_without_the_web_extra_says_how_to_install_it(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = importlib.metadata.distribution

    def without_django(name: str) -> importlib.metadata.Distribution:
        if name.lower() == "django":
            raise importlib.metadata.PackageNotFoundError(name)
        return installed(name)

    monkeypatch.setattr(importlib.metadata, "distribution", without_django)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [WEB_MISSING, "(absent : Django)"]


def test_with_the_web_extra_nothing_is_missing() -> None:
    # This install has `.[dev]`, which includes `.[web]`.
    assert missing_web_packages() == []
