"""Identity tags derived from a collectivité (spec §3.2 population thresholds)."""

from __future__ import annotations

import pytest

from jalon.web.collectivites.models import Collectivite, identite, population_tags


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        (
            1_200,
            {
                "moins_de_3000",
                "moins_de_5000",
                "moins_de_10000",
                "moins_de_20000",
                "moins_de_50000",
                "moins_de_100000",
            },
        ),
        (15_000, {"plus_de_3000", "moins_de_20000", "moins_de_50000", "moins_de_100000"}),
        (20_000, {"plus_de_3000", "moins_de_50000", "moins_de_100000"}),
        (450_000, {"plus_de_3000", "plus_de_20000", "plus_de_100000", "plus_de_300000"}),
        (1_000_000, {"plus_de_3000", "plus_de_20000", "plus_de_100000", "plus_de_300000", "plus_de_800000"}),
    ],
)
def test_population_tags(population: int, expected: set[str]) -> None:
    assert population_tags(population) == expected


def test_identite_has_type_population_localisation() -> None:
    c = Collectivite(nom="Ville", type="commune", population=4_000, localisation="DOM")
    assert identite(c) == {
        "type": frozenset({"commune"}),
        "population": population_tags(4_000),
        "localisation": frozenset({"DOM"}),
    }
