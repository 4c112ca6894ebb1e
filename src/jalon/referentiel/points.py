"""Derive every node's points from the `points` and `pourcentage` written in the Markdown (spec §1.4).

The official numbers depend on the exact float operations, so they are reproduced as the reference does
them: the same passes in the same order (nodes by depth, ties in plain string order of the ids), naive
left-to-right sums over children in plain string order starting from 0, `pct / 100 * points`,
`points / n`, and an exact `!= 100` test on the sum of pourcentages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PointsIssue:
    """Why the points of an action could not be derived."""

    action_id: str
    message: str


def depth(action_id: str) -> int:
    """Root 0, axe 1, …: the number of `_` and `.` in the id."""
    return action_id.count("_") + action_id.count(".")


def _total(values: Iterable[float]) -> float:
    # Not sum(): from Python 3.12 on it compensates rounding, and the official numbers do not.
    total = 0.0
    for value in values:
        total += value
    return total


def distribute_points(
    children: Mapping[str, Iterable[str]],
    md_points: Mapping[str, float],
    md_pourcentages: Mapping[str, float],
) -> tuple[dict[str, float], tuple[PointsIssue, ...]]:
    """Every node's points from the tree (node id → child ids) and the values written per node.

    Nodes whose points cannot be derived are missing from the result and named in the issues.
    """
    kids = {node: sorted(ids) for node, ids in children.items()}
    nodes = set(kids)
    for ids in kids.values():
        nodes.update(ids)
    forward = sorted(nodes, key=lambda node: (depth(node), node))
    points = {node: float(value) for node, value in md_points.items() if node in nodes}
    issues: list[PointsIssue] = []
    unchecked: set[str] = set()  # parents already reported: their children's sum would only repeat it

    # Zero-fill: once a sibling has explicit points, siblings without get 0, even with a pourcentage.
    for node in forward:
        siblings = kids.get(node, [])
        if any(child in md_points for child in siblings):
            for child in siblings:
                if child not in md_points:
                    points[child] = 0.0

    # Bottom-up sums, for nodes that carry neither points nor pourcentage.
    for node in reversed(forward):
        siblings = kids.get(node, [])
        if node in points or node in md_pourcentages or not siblings or siblings[0] not in points:
            continue
        if all(child in points for child in siblings):
            points[node] = _total(points[child] for child in siblings)

    # Top-down: split a node's points between children that have none yet.
    blocked: set[str] = set()  # below a node already reported: reporting them too would only repeat it
    for node in forward:
        siblings = kids.get(node, [])
        if node in blocked:
            blocked.update(siblings)
            continue
        if not siblings or siblings[0] in points:
            continue
        if node not in points:
            blocked.update(siblings)
            issues.append(
                PointsIssue(
                    node,
                    f"Les points de l'action {node} ne sont pas connus au moment de les répartir entre ses "
                    "enfants : attendu `points` sur cette action (ou sur tous ses enfants), ou un "
                    "`pourcentage` avec des points sur son parent.",
                )
            )
            unchecked.add(node)
            continue
        parent_points = points[node]
        pourcentages = [md_pourcentages.get(child) for child in siblings]
        if not any(pourcentages):  # equidistribution; pourcentage 0 means "no points"
            shared = len(siblings) - sum(1 for value in pourcentages if value == 0)
            if shared == 0:
                issues.append(
                    PointsIssue(
                        node,
                        f"Les enfants de l'action {node} ({', '.join(siblings)}) ont tous un pourcentage de "
                        f"0 : ses {parent_points} points ne peuvent être répartis entre eux. Attendu au "
                        "moins un enfant sans pourcentage ou avec un pourcentage non nul.",
                    )
                )
                unchecked.add(node)
                for child in siblings:
                    points[child] = 0.0
                continue
            share = parent_points / shared
            for child, value in zip(siblings, pourcentages, strict=True):
                points[child] = 0.0 if value == 0 else share
            continue
        total = _total(value or 0.0 for value in pourcentages)
        if total != 100:
            issues.append(
                PointsIssue(
                    node,
                    f"Les valeurs des actions {', '.join(siblings)} sont renseignées en pourcentage, mais "
                    f"leur somme fait {total} au lieu de 100.",
                )
            )
            unchecked.add(node)
        for child, value in zip(siblings, pourcentages, strict=True):
            points[child] = (value or 0.0) / 100 * parent_points

    reported = blocked | unchecked
    for node in (node for node in forward if node not in points and node not in reported):
        issues.append(
            PointsIssue(
                node,
                f"Les points de l'action {node} n'ont pas pu être inférés : attendu `points` sur cette "
                "action, ou des points sur son parent à répartir (par pourcentage ou à parts égales), "
                "ou des points sur tous ses enfants.",
            )
        )

    for node in forward:
        siblings = kids.get(node, [])
        if not siblings or node in reported or node not in points:
            continue
        if any(child not in points for child in siblings):
            continue
        total = _total(points[child] for child in siblings)
        if not math.isclose(points[node], total, rel_tol=1e-5):
            issues.append(
                PointsIssue(
                    node,
                    f"Les valeurs des actions de l'action {node} sont renseignées en points, mais leur somme "
                    f"fait {total} au lieu de {points[node]}.",
                )
            )
    return points, tuple(issues)
