"""Small référentiels built in code, for engine tests that must not depend on the loader."""

from __future__ import annotations

import re

from jalon.referentiel.model import Action, Referentiel, Source


def _parent(action_id: str) -> str | None:
    cut = max(action_id.rfind("."), action_id.rfind("_"))
    return action_id[:cut] if cut > 0 else None


def toy_referentiel(points: dict[str, float], action_level: int) -> Referentiel:
    """A référentiel whose nodes are the keys of ``points`` (ids like ``eci_2.1.1``)."""
    children: dict[str, list[str]] = {a: [] for a in points}
    for action_id in points:
        parent = _parent(action_id)
        if parent is not None:
            children[parent].append(action_id)
    root = min(points, key=len)
    actions = {
        a: Action(
            id=a,
            referentiel=root,
            identifiant=a.partition("_")[2],
            nom=a,
            points=p,
            md_points=p,
            md_pourcentage=None,
            categorie=None,
            parent=_parent(a),
            children=tuple(children[a]),
            depth=len(re.findall(r"[._]", a)),
            sections={},
            source=Source("toy.md", 1),
        )
        for a, p in points.items()
    }
    return Referentiel(id=root, nom=root, action_level=action_level, actions=actions)


# The tree of the spec's worked examples (§2.6), action level 1.
EXAMPLE_POINTS: dict[str, float] = {
    "eci": 100,
    "eci_1": 30,
    "eci_1.1": 10,
    "eci_1.2": 20,
    "eci_2": 70,
    "eci_2.0": 0,
    "eci_2.1": 65,
    "eci_2.1.0": 0,
    "eci_2.1.1": 40,
    "eci_2.1.2": 25,
    "eci_2.2": 5,
    "eci_2.2.1": 2,
    "eci_2.2.2": 1.5,
    "eci_2.2.3": 1.5,
}
