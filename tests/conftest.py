"""Shared test fixtures: where the read-only official data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JALON_SHARED", REPO.parent / "shared"))
REFERENTIELS = SHARED / "referentiels"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def referentiels_dir() -> Path:
    """The official CAE/ECI folder beside the repository (never copied into it)."""
    assert REFERENTIELS.is_dir(), f"the official référentiels are expected in {REFERENTIELS}"
    return REFERENTIELS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    assert FIXTURES.is_dir(), f"the scenario fixtures are expected in {FIXTURES}"
    return FIXTURES
