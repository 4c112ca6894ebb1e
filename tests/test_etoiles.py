from __future__ import annotations

import pytest

from jalon.labellisation.etoiles import etoile


@pytest.mark.parametrize(
    ("fait", "stars", "audit"),
    [
        (0, 1, False),
        (34.999, 1, False),
        (35, 2, True),
        (49.9, 2, True),
        (50, 3, True),
        (65, 4, True),
        (75, 5, True),
        (100, 5, True),
    ],
)
def test_stars_are_reached_at_0_35_50_65_75_percent_fait(fait: float, stars: int, audit: bool) -> None:
    result = etoile(fait, 100)
    assert result.etoiles == stars
    assert result.audit_requis is audit


def test_next_threshold_is_reported_until_the_fifth_star() -> None:
    assert etoile(40, 100).prochain_seuil == 50
    assert etoile(80, 100).prochain_seuil is None


def test_a_zero_potentiel_reaches_the_first_star_only() -> None:
    assert etoile(0, 0).etoiles == 1
