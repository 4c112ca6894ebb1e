"""Jalons: a collectivité's scores and statuts of one référentiel, frozen at a date, and their comparison.

A jalon is made by the parcours (pré-audit when the audit starts, post-audit when it is validated) or by an
éditeur who "fige" a named one. It keeps, per node, the name and level it had and every score field the
engine gave, so that it can be shown again exactly even after a new référentiel version is imported. Pure
values: the web stores them and builds "now" the same way to compare a jalon with the current state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from jalon.labellisation.checklist import ScoreFields, StatutLike
from jalon.labellisation.etoiles import etoile_score, part_fait
from jalon.referentiel.model import Referentiel


class Genre(StrEnum):
    """Who made the jalon: the parcours (cannot be renamed nor deleted) or a person."""

    PRE_AUDIT = "pre_audit"
    POST_AUDIT = "post_audit"
    LIBRE = "libre"


GENRES = {Genre.PRE_AUDIT: "pré-audit", Genre.POST_AUDIT: "post-audit", Genre.LIBRE: "jalon"}


@dataclass(frozen=True, slots=True)
class StatutFige:
    """A statut as it was: the avancement (fait, programmé, pas fait), or none, and concerné."""

    avancement: tuple[float, float, float] | None
    concerne: bool = True

    @property
    def libelle(self) -> str:
        """In French, as the pages show it."""
        if not self.concerne:
            return "non concerné"
        if self.avancement is None:
            return "non renseigné"
        named = {(1.0, 0.0, 0.0): "fait", (0.0, 1.0, 0.0): "programmé", (0.0, 0.0, 1.0): "pas fait"}
        if self.avancement in named:
            return named[self.avancement]
        fait, programme, pas_fait = (f"{share * 100:g} %" for share in self.avancement)
        return f"détaillé ({fait} fait, {programme} programmé, {pas_fait} pas fait)"


@dataclass(frozen=True, slots=True)
class NoeudFige:
    """One node of the tree as it was: its name, level and every score field."""

    nom: str
    niveau: str  # référentiel, axe, sous-axe, mesure, sous-mesure, tâche
    parent: str | None
    scores: ScoreFields  # read-only

    def nombre(self, field: str) -> float:
        value = self.scores.get(field)
        return float(value) if value is not None else 0.0


@dataclass(frozen=True, slots=True)
class Jalon:
    """A référentiel's scores and statuts frozen at a date. Built by ``figer``; never changed after."""

    referentiel: str
    version: str  # the référentiel version it was computed with (the web's digest or label)
    nom: str
    genre: Genre
    le: date
    noeuds: Mapping[str, NoeudFige]  # action id → node, in the tree's reading order, root first; read-only
    statuts: Mapping[str, StatutFige]  # action id → its own statut (none for an action without); read-only

    @property
    def racine(self) -> NoeudFige:
        return self.noeuds[self.referentiel]

    @property
    def fait(self) -> float:
        """Share of the root potentiel that is fait."""
        return part_fait(self.racine.nombre("point_fait"), self.racine.nombre("point_potentiel"))

    @property
    def programme(self) -> float:
        return part_fait(self.racine.nombre("point_programme"), self.racine.nombre("point_potentiel"))

    def etoile(self, seuils: tuple[float, ...]) -> int:
        """The star its score allows (the label's star when this is the post-audit jalon)."""
        return etoile_score(self.fait, seuils)


def niveau(referentiel: Referentiel, depth: int) -> str:
    """The French name of a depth of the tree (CAE: axe, sous-axe, mesure…; ECI has no sous-axe)."""
    mesure = referentiel.action_level
    if depth == 0:
        return "référentiel"
    if depth == 1:
        return "axe"
    if depth < mesure:
        return "sous-axe"
    return {mesure: "mesure", mesure + 1: "sous-mesure"}.get(depth, "tâche")


def _avancement(value: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]), float(value[2]))


def figer(
    referentiel: Referentiel,
    scores: Mapping[str, ScoreFields],
    statuts: Mapping[str, StatutLike],
    *,
    nom: str,
    genre: Genre,
    le: date,
    version: str,
) -> Jalon:
    """Freeze a référentiel's scores (as ``jalon.evaluate`` gives them, every référentiel or just this
    one) and its statuts. ValueError, in French, when a node of the référentiel has no scores or the name
    is empty."""
    if not nom.strip():
        raise ValueError("nom : un jalon a besoin d'un nom.")
    missing = [action_id for action_id in referentiel.actions if action_id not in scores]
    if missing:
        raise ValueError(
            f"scores : {len(missing)} nœud(s) du référentiel {referentiel.id} sans scores, dont {missing[0]}."
        )
    order: list[str] = []
    stack = [referentiel.id]
    while stack:  # depth first, children in their natural order: the tree as people read it
        action_id = stack.pop()
        order.append(action_id)
        stack.extend(reversed(referentiel.actions[action_id].children))
    noeuds = {
        action_id: NoeudFige(
            referentiel.actions[action_id].nom,
            niveau(referentiel, referentiel.actions[action_id].depth),
            referentiel.actions[action_id].parent,
            MappingProxyType(dict(scores[action_id])),
        )
        for action_id in order
    }
    own = {
        action_id: StatutFige(_avancement(s.avancement), s.concerne)
        for action_id, s in sorted(statuts.items())
        if action_id in referentiel.actions
    }
    return Jalon(
        referentiel.id,
        version,
        nom.strip(),
        genre,
        le,
        MappingProxyType(noeuds),
        MappingProxyType(own),
    )


def protection(jalon: Jalon) -> str | None:
    """Why a jalon cannot be renamed nor deleted (French), or None: those of the parcours are its record."""
    if jalon.genre is Genre.LIBRE:
        return None
    return (
        f"le jalon {GENRES[jalon.genre]} du {jalon.le.strftime('%d/%m/%Y')} est fait par le parcours de "
        "labellisation : il ne peut être ni renommé ni supprimé."
    )


def renommer(jalon: Jalon, nom: str) -> Jalon:
    """The same jalon under another name; ValueError (French) for a jalon of the parcours or an empty name."""
    refused = protection(jalon)
    if refused is not None:
        raise ValueError(f"nom : {refused}")
    if not nom.strip():
        raise ValueError("nom : un jalon a besoin d'un nom.")
    return dataclasses.replace(jalon, nom=nom.strip())


# -- comparison -------------------------------------------------------------------------------------------

NON_RENSEIGNE = StatutFige(None, True)
COMPARED_LEVELS = ("référentiel", "axe", "sous-axe", "mesure", "sous-mesure")


@dataclass(frozen=True, slots=True)
class Points:
    """A node's points at one jalon, and its shares in percent of the potentiel."""

    potentiel: float
    fait: float
    programme: float

    @property
    def pct_fait(self) -> float:
        return 100 * part_fait(self.fait, self.potentiel)

    @property
    def pct_programme(self) -> float:
        return 100 * part_fait(self.programme, self.potentiel)


def _points(node: NoeudFige | None) -> Points | None:
    if node is None:
        return None
    return Points(node.nombre("point_potentiel"), node.nombre("point_fait"), node.nombre("point_programme"))


@dataclass(frozen=True, slots=True)
class EcartNoeud:
    """One node before and after; a side is None when the node did not exist in that jalon's version."""

    action_id: str
    nom: str
    niveau: str
    avant: Points | None
    apres: Points | None

    def _ecart(self, field: str) -> float:
        before = getattr(self.avant, field) if self.avant is not None else 0.0
        after = getattr(self.apres, field) if self.apres is not None else 0.0
        return float(after - before)

    @property
    def ecart_fait(self) -> float:
        """Points fait gained (negative: lost)."""
        return self._ecart("fait")

    @property
    def ecart_programme(self) -> float:
        return self._ecart("programme")

    @property
    def ecart_potentiel(self) -> float:
        return self._ecart("potentiel")

    @property
    def ecart_pct_fait(self) -> float:
        """Change of the share fait, in percentage points."""
        return self._ecart("pct_fait")

    @property
    def ecart_pct_programme(self) -> float:
        return self._ecart("pct_programme")

    @property
    def change(self) -> bool:
        return self.avant != self.apres


@dataclass(frozen=True, slots=True)
class ChangementStatut:
    """An action whose own statut differs between the two jalons."""

    action_id: str
    nom: str
    avant: StatutFige
    apres: StatutFige


@dataclass(frozen=True, slots=True)
class Comparaison:
    """Two jalons side by side: per axe, mesure and sous-mesure, and the statuts that changed."""

    avant: Jalon
    apres: Jalon
    noeuds: tuple[EcartNoeud, ...]  # every node above the tâches, in the later jalon's order
    statuts: tuple[ChangementStatut, ...]  # in the later jalon's order

    @property
    def changements(self) -> tuple[EcartNoeud, ...]:
        """The nodes whose points moved."""
        return tuple(n for n in self.noeuds if n.change)


def comparer(avant: Jalon, apres: Jalon) -> Comparaison:
    """Compare two jalons of the same référentiel (or a jalon and "now", frozen the same way).

    The versions may differ: a node of one only is shown with the other side empty.
    """
    if avant.referentiel != apres.referentiel:
        raise ValueError(
            f"jalons de deux référentiels ({avant.referentiel}, {apres.referentiel}) : "
            "attendu deux jalons du même référentiel."
        )
    ids = [i for i, n in apres.noeuds.items() if n.niveau in COMPARED_LEVELS]
    ids += [i for i, n in avant.noeuds.items() if n.niveau in COMPARED_LEVELS and i not in apres.noeuds]
    noeuds = []
    for action_id in ids:
        node = apres.noeuds.get(action_id) or avant.noeuds[action_id]
        noeuds.append(
            EcartNoeud(
                action_id,
                node.nom,
                node.niveau,
                _points(avant.noeuds.get(action_id)),
                _points(apres.noeuds.get(action_id)),
            )
        )
    order: dict[str, int] = {}
    for action_id in [*apres.noeuds, *avant.noeuds]:
        order.setdefault(action_id, len(order))
    changed = []
    for action_id in sorted(set(avant.statuts) | set(apres.statuts), key=lambda i: order.get(i, len(order))):
        before = avant.statuts.get(action_id, NON_RENSEIGNE)
        after = apres.statuts.get(action_id, NON_RENSEIGNE)
        if before != after:
            named = apres.noeuds.get(action_id) or avant.noeuds.get(action_id)
            changed.append(ChangementStatut(action_id, named.nom if named else action_id, before, after))
    return Comparaison(avant, apres, tuple(noeuds), tuple(changed))


@dataclass(frozen=True, slots=True)
class PointEvolution:
    """The root's score at one jalon: a point of the chart over the jalons."""

    nom: str
    le: date
    genre: Genre
    pct_fait: float
    pct_programme: float


def evolution(jalons: list[Jalon]) -> tuple[PointEvolution, ...]:
    """The root score over the jalons, by date (the order given for the same date)."""
    ordered = sorted(enumerate(jalons), key=lambda pair: (pair[1].le, pair[0]))
    return tuple(PointEvolution(j.nom, j.le, j.genre, 100 * j.fait, 100 * j.programme) for _, j in ordered)
