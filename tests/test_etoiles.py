from __future__ import annotations

import pytest

from jalon.labellisation.etoiles import etoile_score, part_fait, prochain_seuil

SEUILS = (0.0, 0.35, 0.50, 0.65, 0.75)  # the official thresholds (../shared/labellisation/criteres.yml)


@pytest.mark.parametrize(
    ("fait", "star"),
    [(0, 1), (0.34999, 1), (0.35, 2), (0.499, 2), (0.50, 3), (0.65, 4), (0.75, 5), (1.0, 5)],
)
def test_the_score_allows_the_highest_star_whose_threshold_it_reaches(fait: float, star: int) -> None:
    assert etoile_score(fait, SEUILS) == star


def test_below_the_first_threshold_the_score_allows_no_star() -> None:
    assert etoile_score(0.1, (0.2, 0.5)) == 0


def test_next_threshold_is_reported_until_the_last_star() -> None:
    assert prochain_seuil(2, SEUILS) == 0.50
    assert prochain_seuil(5, SEUILS) is None


def test_a_zero_potentiel_is_zero_fait() -> None:
    assert part_fait(0, 0) == 0.0
