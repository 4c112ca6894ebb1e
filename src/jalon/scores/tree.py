"""What the scoring engine precomputes once per référentiel.

The engine works on arrays indexed in *forward order*: nodes sorted by depth, ties in plain string
order of their ids, as the reference engine does. Nodes of one depth are therefore a contiguous
slice, and every pass of the engine is a handful of array operations per depth.

Children are kept in plain string order (``…_1.10`` before ``…_1.2``) because sums of children are
taken left to right in that order, and the order of a floating-point sum decides the third decimal
(spec §7.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from jalon.referentiel.model import Referentiel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class ScoringTree:
    """The structure of one référentiel in the layout the engine computes on.

    Arrays have ``n + 1`` entries: the extra one (index ``n``) is a sentinel that pads the
    children matrices; it holds 0 points and is never a real node.
    """

    referentiel: str
    action_level: int
    ids: tuple[str, ...]
    index: dict[str, int]
    depth: IntArray
    parent: IntArray  # -1 for the root
    children: tuple[tuple[int, ...], ...]  # string order
    points: FloatArray  # derived points, sentinel 0
    is_leaf: BoolArray
    leaf_count: FloatArray  # max(1, number of direct leaf children), spec §2.2
    depth_start: tuple[int, ...]  # nodes of depth d are [depth_start[d], depth_start[d + 1])
    # Per depth d: (max children) × (nodes of depth d), padded with the sentinel. Row j holds the j-th
    # child of every node, so that summing over axis 0 adds children one after the other, in order.
    child_matrix: tuple[IntArray, ...]
    # The same children, for sums: per depth, blocks (positions of the nodes in the depth, their
    # child matrix) grouping nodes of similar widths, so that one very wide node does not pad every
    # other one; leaves are in no block (their children sum is 0).
    child_blocks: tuple[tuple[tuple[IntArray, IntArray], ...], ...]
    _subtrees: dict[int, IntArray] = field(default_factory=dict, repr=False)
    _children_arrays: dict[int, IntArray] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def max_depth(self) -> int:
        return len(self.depth_start) - 2

    def depth_slice(self, d: int) -> slice:
        return slice(self.depth_start[d], self.depth_start[d + 1])

    def subtree(self, i: int) -> IntArray:
        """Indices of node ``i`` and all its descendants."""
        found = self._subtrees.get(i)
        if found is None:
            nodes = [i]
            for node in nodes:  # grows while iterating: a breadth-first walk
                nodes.extend(self.children[node])
            found = np.array(sorted(nodes), dtype=np.intp)
            self._subtrees[i] = found
        return found

    def ancestors(self, i: int) -> list[int]:
        """Node ``i`` and its ancestors, up to the root."""
        path = [i]
        while (p := int(self.parent[path[-1]])) >= 0:
            path.append(p)
        return path

    def children_array(self, i: int) -> IntArray:
        """Children of node ``i`` (string order) as an index array."""
        found = self._children_arrays.get(i)
        if found is None:
            found = np.array(self.children[i], dtype=np.intp)
            self._children_arrays[i] = found
        return found

    @cached_property
    def parent_list(self) -> list[int]:
        return [int(p) for p in self.parent[: self.n]]

    # Plain lists of the tree's arrays, built once per tree for ``LiveScores`` (which reads them one
    # element at a time, faster from lists); never changed.

    @cached_property
    def depth_list(self) -> list[int]:
        return [int(d) for d in self.depth[: self.n]]

    @cached_property
    def leaf_count_list(self) -> list[float]:
        return self.leaf_count[: self.n].tolist()  # type: ignore[no-any-return]

    @cached_property
    def points_list(self) -> list[float]:
        return self.points[: self.n].tolist()  # type: ignore[no-any-return]

    @cached_property
    def mesure_list(self) -> list[int]:
        """Each node's ancestor at the mesure level (itself at that level), -1 above it."""
        depth, parent, level = self.depth_list, self.parent_list, self.action_level
        out = []
        for i in range(self.n):
            if depth[i] < level:
                out.append(-1)
                continue
            while depth[i] > level:
                i = parent[i]
            out.append(i)
        return out


def build_scoring_tree(referentiel: Referentiel) -> ScoringTree:
    actions = referentiel.actions
    ids = tuple(sorted(actions, key=lambda a: (actions[a].depth, a)))
    index = {action_id: i for i, action_id in enumerate(ids)}
    n = len(ids)
    depth = np.array([actions[a].depth for a in ids], dtype=np.intp)
    parent = np.array([index[p] if (p := actions[a].parent) is not None else -1 for a in ids], dtype=np.intp)
    children = tuple(tuple(index[c] for c in sorted(actions[a].children)) for a in ids)
    points = np.zeros(n + 1)
    points[:n] = [actions[a].points for a in ids]
    is_leaf = np.zeros(n + 1, dtype=np.bool_)
    is_leaf[:n] = [not c for c in children]
    leaf_count = np.ones(n + 1)
    for i, kids in enumerate(children):
        leaf_count[i] = max(1, sum(1 for c in kids if not children[c]))

    max_depth = int(depth.max())
    depth_start = [0] * (max_depth + 2)
    for d in range(max_depth + 1):
        depth_start[d + 1] = depth_start[d] + int((depth == d).sum())
    child_matrix = []
    for d in range(max_depth + 1):
        rows = [children[i] for i in range(depth_start[d], depth_start[d + 1])]
        width = max((len(r) for r in rows), default=0)
        matrix = np.full((max(width, 1), len(rows)), n, dtype=np.intp)
        for r, kids in enumerate(rows):
            matrix[: len(kids), r] = kids
        child_matrix.append(matrix)
    child_blocks = tuple(
        _blocks(children, depth_start[d], depth_start[d + 1], n) for d in range(max_depth + 1)
    )
    return ScoringTree(
        referentiel=referentiel.id,
        action_level=referentiel.action_level,
        ids=ids,
        index=index,
        depth=depth,
        parent=parent,
        children=children,
        points=points,
        is_leaf=is_leaf,
        leaf_count=leaf_count,
        depth_start=tuple(depth_start),
        child_matrix=tuple(child_matrix),
        child_blocks=child_blocks,
    )


def _blocks(
    children: tuple[tuple[int, ...], ...], start: int, stop: int, sentinel: int
) -> tuple[tuple[IntArray, IntArray], ...]:
    """Group the nodes of one depth by width: a block is cut where padding to a wider node would
    waste more cells than the block holds."""
    widths = sorted((len(children[i]), i - start) for i in range(start, stop) if children[i])
    groups: list[list[tuple[int, int]]] = []
    for width, position in widths:
        if groups and width * (len(groups[-1]) + 1) <= 2 * (sum(w for w, _ in groups[-1]) + width):
            groups[-1].append((width, position))
        else:
            groups.append([(width, position)])
    blocks = []
    for group in groups:
        positions = np.array(sorted(p for _, p in group), dtype=np.intp)
        width = max(w for w, _ in group)
        matrix = np.full((width, len(positions)), sentinel, dtype=np.intp)
        for column, p in enumerate(positions.tolist()):
            kids = children[start + p]
            matrix[: len(kids), column] = kids
        blocks.append((positions, matrix))
    return tuple(blocks)
