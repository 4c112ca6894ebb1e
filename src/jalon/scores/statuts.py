"""Statuts: what a collectivité says of an action's progress.

A statut carries an avancement — the fractions (fait, programmé, pas fait) — or none at all
(non renseigné), and whether the collectivité is concerned by the action (non concerné otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Avancement = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Statut:
    """The statut of one action: its avancement (fait, programmé, pas fait) and whether it concerns us."""

    avancement: Avancement | None
    concerne: bool = True

    @classmethod
    def detaille(cls, fait: float, programme: float, pas_fait: float) -> Statut:
        """A détaillé statut; the three fractions must be in [0, 1] and sum to 1."""
        fractions = (float(fait), float(programme), float(pas_fait))
        if any(not 0.0 <= f <= 1.0 for f in fractions):
            raise ValueError(f"each fraction must be between 0 and 1, got {list(fractions)}")
        if not math.isclose(math.fsum(fractions), 1.0, abs_tol=1e-9):
            raise ValueError(f"the fractions fait, programmé, pas fait must sum to 1, got {list(fractions)}")
        return cls(fractions, True)


FAIT = Statut((1.0, 0.0, 0.0))
PROGRAMME = Statut((0.0, 1.0, 0.0))
PAS_FAIT = Statut((0.0, 0.0, 1.0))
# Renseigné but without avancement: still counts as "concerned" (it blocks the upward propagation of
# non concerné and fixes the potentiel to the node's own points, spec §2.4).
NON_RENSEIGNE = Statut(None, True)
NON_CONCERNE = Statut(None, False)
