"""The official folder, loaded once for all the tests that only read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jalon.referentiel.loader import load_referentiels
from jalon.referentiel.model import Referentiels


@pytest.fixture(scope="session")
def official(referentiels_dir: Path) -> Referentiels:
    return load_referentiels(referentiels_dir)
