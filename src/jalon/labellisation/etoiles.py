"""Label stars and the score: the share of the potentiel that is fait says which star may be *requested*.

A star is never reached by a score alone: its criteria must be met, then an audit and the commission's
decision grant it (see ``checklist``). The thresholds come from the référentiel folder's criteria file.
"""

from __future__ import annotations

from collections.abc import Sequence


def part_fait(point_fait: float, point_potentiel: float) -> float:
    """Share of the potentiel that is fait (0 for a zero potentiel)."""
    return point_fait / point_potentiel if point_potentiel else 0.0


def etoile_score(fait: float, seuils: Sequence[float]) -> int:
    """The highest star whose threshold the share ``fait`` reaches (0 when none does).

    ``seuils``: the minimum share fait of star 1, 2…, increasing.
    """
    star = 0
    for number, seuil in enumerate(seuils, start=1):
        if fait >= seuil:
            star = number
    return star


def prochain_seuil(etoile: int, seuils: Sequence[float]) -> float | None:
    """The share fait of the star after ``etoile``, None past the last one."""
    return seuils[etoile] if etoile < len(seuils) else None
