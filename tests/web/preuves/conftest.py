"""The bibliothèque's tests keep their files in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path: Path) -> Path:
    location = tmp_path / "fichiers"
    settings.MEDIA_ROOT = str(location)  # where the default storage keeps them, as in production
    return location
