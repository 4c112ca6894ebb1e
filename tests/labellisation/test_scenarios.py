"""`jalon labellisation` on our own scenarios, against checklists derived by hand (attendus/*.yml say why)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jalon.cli import app
from jalon.loading import DEMO_SCENARIO
from tests.conftest import REFERENTIELS, SHARED

HERE = Path(__file__).resolve().parent
CRITERES = SHARED / "labellisation" / "criteres.yml"
runner = CliRunner()

OFFICIAL = ["--referentiels", str(REFERENTIELS), "--criteres", str(CRITERES)]
CASES = [
    (HERE / "scenarios" / "cae_etoile_1.yml", "cae_etoile_1", OFFICIAL),
    (HERE / "scenarios" / "cae_etoile_2.yml", "cae_etoile_2", OFFICIAL),
    (HERE / "scenarios" / "eci_etoile_1.yml", "eci_etoile_1", OFFICIAL),
    (HERE / "scenarios" / "demo_epci_etoile_4.yml", "demo_epci_etoile_4", []),  # the demo's own criteria
    (DEMO_SCENARIO, "demo_scenario", []),
]


@pytest.mark.parametrize(("scenario", "attendu", "options"), CASES, ids=[case[1] for case in CASES])
def test_labellisation_prints_the_checklist_derived_by_hand(
    scenario: Path, attendu: str, options: list[str]
) -> None:
    result = runner.invoke(app, ["labellisation", str(scenario), *options])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = yaml.safe_load((HERE / "attendus" / f"{attendu}.yml").read_text(encoding="utf-8"))
    for referentiel_id, checklist in expected.items():
        assert got[referentiel_id] == checklist


def test_labellisation_prints_one_key_per_referentiel_with_the_four_fields() -> None:
    result = runner.invoke(app, ["labellisation", str(HERE / "scenarios" / "cae_etoile_1.yml"), *OFFICIAL])
    got = json.loads(result.stdout)
    assert set(got) == {"cae", "eci"}
    assert all(
        set(checklist) == {"fait", "etoile_score", "completude", "criteres"} for checklist in got.values()
    )


def test_labellisation_without_criteria_says_how_to_give_them() -> None:
    result = runner.invoke(
        app,
        ["labellisation", str(HERE / "scenarios" / "cae_etoile_1.yml"), "--referentiels", str(REFERENTIELS)],
    )
    assert result.exit_code == 2
    assert "--criteres" in result.stderr
