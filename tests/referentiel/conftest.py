"""The official folder, loaded once for all the tests that only read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jalon.loading import load
from jalon.referentiel.model import Referentiels


@pytest.fixture(scope="session")
def official(referentiels_dir: Path) -> Referentiels:
    return load(referentiels_dir)
