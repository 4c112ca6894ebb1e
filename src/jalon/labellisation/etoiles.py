"""Label stars: the share of the potentiel that is "fait" decides how many stars a collectivité reaches."""

from __future__ import annotations

from dataclasses import dataclass

# Share of the potentiel fait (in %) from which each star is reached: 1st star at 0 %, 5th at 75 %.
SEUILS = (0.0, 35.0, 50.0, 65.0, 75.0)
# From the second star on, the label requires an audit.
PREMIERE_ETOILE_AUDITEE = 2


@dataclass(frozen=True, slots=True)
class Etoile:
    etoiles: int  # 1 to 5
    pourcentage_fait: float
    audit_requis: bool
    prochain_seuil: float | None  # % fait needed for the next star, None at 5 stars


def etoile(point_fait: float, point_potentiel: float) -> Etoile:
    """The star reached with ``point_fait`` out of ``point_potentiel``."""
    pourcentage = 100.0 * point_fait / point_potentiel if point_potentiel else 0.0
    reached = sum(1 for seuil in SEUILS if pourcentage >= seuil)
    prochain = SEUILS[reached] if reached < len(SEUILS) else None
    return Etoile(reached, pourcentage, reached >= PREMIERE_ETOILE_AUDITEE, prochain)
