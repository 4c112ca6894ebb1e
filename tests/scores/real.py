"""The official référentiels, loaded once for all the tests that need them."""

from __future__ import annotations

from functools import cache

from jalon.loading import load
from jalon.referentiel.model import Referentiels
from tests.conftest import REFERENTIELS


@cache
def official() -> Referentiels:
    return load(REFERENTIELS)
