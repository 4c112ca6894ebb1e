"""The scoring engine: statuts + consequences + référentiel → the score of every node (spec §2).

Every phase of the reference engine is reproduced with the same floating-point operations in the
same order, so that the rounded numbers are identical; the passes are vectorised per depth
(see ``tree.py`` for the layout). Phase numbers follow the specification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter

import numpy as np

from jalon.regles.consequences import Consequence, apply_score_formule, score_references
from jalon.scores.rounding import round3
from jalon.scores.statuts import Statut
from jalon.scores.tree import BoolArray, FloatArray, ScoringTree

# Columns of the score matrix.
FAIT, PROGRAMME, PAS_FAIT, NON_RENSEIGNE = 0, 1, 2, 3
TOTAL, COMPLETED, FAIT_AV, PROGRAMME_AV, PAS_FAIT_AV, PAS_CONCERNE_AV = 4, 5, 6, 7, 8, 9
N_COLUMNS = 10
# The point columns an override (phase 6) recomputes from the children.
OVERRIDE_COLUMNS = [FAIT, NON_RENSEIGNE, PAS_FAIT, PROGRAMME]

SCORE_FIELDS = (
    "point_referentiel",
    "point_potentiel",
    "point_potentiel_perso",
    "point_fait",
    "point_programme",
    "point_pas_fait",
    "point_non_renseigne",
    "concerne",
    "desactive",
    "renseigne",
    "total_taches_count",
    "completed_taches_count",
    "fait_taches_avancement",
    "programme_taches_avancement",
    "pas_fait_taches_avancement",
    "pas_concerne_taches_avancement",
)

ScoreValue = float | int | bool | None
_NO_AVANCEMENT = (np.nan, np.nan, np.nan)


@dataclass(eq=False)
class Scores:
    """The scores of every node of one référentiel, unrounded, in the engine's array layout.

    ``*_base`` arrays keep the values before the score override (phase 6) so that an incremental
    update can re-apply the overrides from a clean state.
    """

    tree: ScoringTree
    perso: FloatArray  # personalised points (phase 0)
    desactive: BoolArray
    non_concerne: BoolArray
    explicit_concerne: BoolArray
    avancement: FloatArray  # (n + 1) × 3, NaN rows when there is no avancement
    has_consequence: BoolArray
    potentiel: FloatArray  # phases 3-4
    matrix_base: FloatArray  # (n + 1) × N_COLUMNS after phase 5
    point_potentiel_base: FloatArray
    perso_out_base: FloatArray  # point_potentiel_perso, NaN for null
    matrix: FloatArray  # after phase 6
    point_potentiel: FloatArray
    perso_out: FloatArray
    concerne: BoolArray
    renseigne: BoolArray

    def as_dict(self) -> dict[str, dict[str, ScoreValue]]:
        """Rounded scores (phase 8) of every node: action id → the fields of ``SCORE_FIELDS``."""
        tree = self.tree
        n = tree.n
        m = self.matrix[:n]
        rounded = round3(np.column_stack((tree.points[:n], self.point_potentiel[:n], m[:, :4])))
        perso = self.perso_out[:n]
        perso_rounded = round3(np.nan_to_num(perso))
        perso_list = [
            None if raw != raw else (r if raw else raw)  # raw != raw: NaN stands for null
            for raw, r in zip(perso.tolist(), perso_rounded.tolist(), strict=True)
        ]
        counts = m[:, [TOTAL, COMPLETED, PAS_CONCERNE_AV]].astype(np.int64).T.tolist()
        avancements = m[:, [FAIT_AV, PROGRAMME_AV, PAS_FAIT_AV]].T.tolist()
        ref, pot, fait, prog, pas_fait, nr = rounded.T.tolist()
        columns = (
            ref,
            pot,
            perso_list,
            fait,
            prog,
            pas_fait,
            nr,
            self.concerne[:n].tolist(),
            self.desactive[:n].tolist(),
            self.renseigne[:n].tolist(),
            counts[0],
            counts[1],
            *avancements,
            counts[2],
        )
        rows = list(zip(*columns, strict=True))
        ids = tree.ids
        # Deepest first, root last, like the reference output.
        out = {ids[i]: dict(zip(SCORE_FIELDS, rows[i], strict=True)) for i in range(n - 1, -1, -1)}
        return out


def sum_rows(gathered: FloatArray) -> FloatArray:
    """Sum over axis 0 adding rows one after the other, like Python's ``sum`` over a list.

    Reducing over axis 0 of an array whose axis 1 has several entries makes numpy accumulate row by
    row; with a single column numpy would see one contiguous vector and sum it pairwise, which
    changes the last bits — so that case is summed by hand. A test pins both.
    """
    if gathered.shape[1] == 1:
        acc: FloatArray = gathered[0]
        for row in gathered[1:]:
            acc = acc + row
        return acc
    return np.add.reduce(gathered, axis=0)  # type: ignore[no-any-return]


def _sum_children(values: FloatArray, tree: ScoringTree, d: int) -> FloatArray:
    """Children sums of every node of depth ``d``, in children order (0 for leaves).

    Padding points at the sentinel, which holds 0, and ``x + 0.0 == x`` exactly.
    """
    sl = tree.depth_slice(d)
    out = np.zeros((sl.stop - sl.start, *values.shape[1:]))
    for positions, matrix in tree.child_blocks[d]:
        out[positions] = sum_rows(values[matrix])
    return out


_concerne_of = attrgetter("concerne")


def _avancement_of(statut: Statut) -> tuple[float, float, float]:
    return statut.avancement if statut.concerne and statut.avancement is not None else _NO_AVANCEMENT


@dataclass(frozen=True, eq=False)
class StatutTable:
    """The statuts of one collectivité as arrays in a tree's layout (see ``statut_table``)."""

    explicit_concerne: BoolArray  # has a statut saying it is concerned (whatever its avancement)
    non_concerne: BoolArray  # has a non concerné statut
    avancement: FloatArray  # (n + 1) × 3: fait, programmé, pas fait; NaN rows without avancement


def statut_table(tree: ScoringTree, statuts: Mapping[str, Statut]) -> StatutTable:
    """Statuts as arrays; ids of other référentiels are ignored.

    Converting is a pass over the mapping in Python: a caller that evaluates the same statuts
    several times (or keeps them up to date) can convert once and pass the table instead.
    """
    n = tree.n
    count = len(statuts)
    explicit_concerne = np.zeros(n + 1, dtype=np.bool_)
    non_concerne = np.zeros(n + 1, dtype=np.bool_)
    avancement = np.full((n + 1, 3), np.nan)
    if count:
        # map/fromiter keep the per-statut work in C: this pass is a third of a full evaluation.
        rows = np.fromiter(map(tree.index.get, statuts, repeat(n)), dtype=np.intp, count=count)
        values = list(statuts.values())
        concerne = np.fromiter(map(_concerne_of, values), dtype=np.bool_, count=count)
        fractions = np.fromiter(
            chain.from_iterable(map(_avancement_of, values)), dtype=np.float64, count=3 * count
        )
        explicit_concerne[rows] = concerne  # unknown ids land on the sentinel, reset below
        non_concerne[rows] = ~concerne
        avancement[rows] = fractions.reshape(count, 3)
        explicit_concerne[n] = non_concerne[n] = False
        avancement[n] = _NO_AVANCEMENT
    return StatutTable(explicit_concerne, non_concerne, avancement)


def compute_scores(
    tree: ScoringTree,
    statuts: Mapping[str, Statut] | StatutTable,
    consequences: Mapping[str, Consequence],
) -> Scores:
    """Score every node of ``tree`` (spec §2); ids of other référentiels are ignored."""
    n = tree.n
    index = tree.index

    table = statuts if isinstance(statuts, StatutTable) else statut_table(tree, statuts)

    # Phase 0 – personalised points; phase 1 – désactivations.
    perso = tree.points.copy()
    desactive = np.zeros(n + 1, dtype=np.bool_)
    has_consequence = np.zeros(n + 1, dtype=np.bool_)
    for action_id, consequence in consequences.items():
        i = index.get(action_id)
        if i is None:
            continue
        has_consequence[i] = True
        if consequence.potentiel_perso is not None:
            perso[tree.subtree(i)] *= float(consequence.potentiel_perso)
        if consequence.desactive:
            desactive[tree.subtree(i)] = True

    scores = Scores(
        tree=tree,
        perso=perso,
        desactive=desactive,
        non_concerne=table.non_concerne | desactive,
        explicit_concerne=table.explicit_concerne,
        avancement=table.avancement,
        has_consequence=has_consequence,
        potentiel=np.zeros(n + 1),
        matrix_base=np.zeros((n + 1, N_COLUMNS)),
        point_potentiel_base=np.zeros(n + 1),
        perso_out_base=np.full(n + 1, np.nan),
        matrix=np.zeros((n + 1, N_COLUMNS)),
        point_potentiel=np.zeros(n + 1),
        perso_out=np.full(n + 1, np.nan),
        concerne=np.zeros(n + 1, dtype=np.bool_),
        renseigne=np.zeros(n + 1, dtype=np.bool_),
    )
    _propagate_non_concerne(scores)
    _compute_potentiels(scores)
    _score_nodes(scores)
    apply_overrides(scores, consequences)
    compute_renseigne(scores)
    return scores


def _propagate_non_concerne(s: Scores) -> None:
    """Phase 2: a node whose children are all non concernés is non concerné, unless it has a
    statut saying it is concerned."""
    tree = s.tree
    nc = s.non_concerne
    nc[tree.n] = True  # the sentinel never prevents "all children non concernés"
    for d in range(tree.max_depth - 1, -1, -1):
        sl = tree.depth_slice(d)
        all_nc = nc[tree.child_matrix[d]].all(axis=0)
        nc[sl] |= all_nc & ~s.explicit_concerne[sl] & ~tree.is_leaf[sl]
    nc[tree.n] = False


def _compute_potentiels(s: Scores) -> None:
    """Phases 3 and 4: potentiels bottom-up with equal-share redistribution, then rescaling."""
    tree = s.tree
    pot, perso, nc = s.potentiel, s.perso, s.non_concerne
    own_points = s.explicit_concerne | tree.is_leaf
    for d in range(tree.max_depth, -1, -1):
        sl = tree.depth_slice(d)
        children_sum = _sum_children(pot, tree, d)
        base = np.where(nc[sl], 0.0, np.where(own_points[sl], perso[sl], children_sum))
        if d > tree.action_level:
            base = _redistribute(s, d, base)
        pot[sl] = base

    for d in range(tree.action_level, tree.max_depth):
        parents = tree.depth_slice(d)
        rescaled = (pot[parents] != perso[parents]) & ~tree.is_leaf[parents]
        if not rescaled.any():
            continue
        kids = tree.depth_slice(d + 1)
        parent = tree.parent[kids]
        moving = rescaled[parent - tree.depth_start[d]]
        kid_idx = np.arange(kids.start, kids.stop)[moving]
        parent = parent[moving]
        parent_perso = perso[parent]
        with np.errstate(divide="ignore", invalid="ignore"):
            new = pot[kid_idx] / parent_perso * pot[parent]
        pot[kid_idx] = np.where(parent_perso != 0, new, 0.0)


def _redistribute(s: Scores, d: int, base: FloatArray) -> FloatArray:
    """Phase 3, below the mesure level: the personalised points of non concerné siblings are shared
    equally among the concerned siblings that have points."""
    tree = s.tree
    groups = tree.child_matrix[d - 1]  # one column of siblings per node of depth d - 1
    valid = groups != tree.n
    sibling_nc = s.non_concerne[groups] & valid
    n_nc = sibling_nc.sum(axis=0)
    pool = sum_rows(np.where(sibling_nc, s.perso[groups], 0.0))
    recipient = valid & ~sibling_nc & (s.perso[groups] != 0)
    n_recipients = recipient.sum(axis=0)
    shared = (n_nc > 0) & (n_nc < valid.sum(axis=0)) & (n_recipients > 0)
    if not shared.any():
        return base
    sl = tree.depth_slice(d)
    row = tree.parent[sl] - tree.depth_start[d - 1]
    gets = shared[row] & ~s.non_concerne[sl] & (s.perso[sl] != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = pool / n_recipients
    return np.where(gets, base + share[row], base)


def _score_nodes(s: Scores) -> None:
    """Phase 5: scores from a node's own statut, or else from its children."""
    tree = s.tree
    n = tree.n
    pot, nc = s.potentiel, s.non_concerne
    has_avancement = ~np.isnan(s.avancement[:, 0])
    from_statut = tree.is_leaf | has_avancement | nc
    m = s.matrix_base
    lc = tree.leaf_count
    with_av = has_avancement & ~nc
    # Fractions of the nodes scored from an avancement, 0 elsewhere: pot * 0.0 == 0.0 exactly.
    fractions = np.where(with_av[:, None], s.avancement, 0.0)
    m[:, FAIT : PAS_FAIT + 1] = pot[:, None] * fractions
    m[:, FAIT_AV : PAS_FAIT_AV + 1] = fractions * lc[:, None]
    m[:, NON_RENSEIGNE] = np.where(with_av, 0.0, pot)
    m[:, TOTAL] = lc
    m[:, COMPLETED] = np.where(with_av | nc, lc, 0.0)
    m[:, PAS_CONCERNE_AV] = np.where(nc, lc, 0.0)
    concerne = ~nc
    m[n] = 0.0
    concerne[n] = False
    for d in range(tree.max_depth - 1, -1, -1):
        sl = tree.depth_slice(d)
        matrix = tree.child_matrix[d]
        from_children = ~from_statut[sl]
        if not from_children.any():
            continue
        sums = _sum_children(m, tree, d)
        m[sl] = np.where(from_children[:, None], sums, m[sl])
        concerne[sl] = np.where(from_children, concerne[matrix].any(axis=0), concerne[sl])
    s.concerne = concerne
    s.point_potentiel_base = pot.copy()
    perso_out = np.where(s.has_consequence & ~s.desactive, s.perso, np.nan)
    perso_out[n] = np.nan
    s.perso_out_base = perso_out
    s.matrix = m.copy()
    s.point_potentiel = pot.copy()
    s.perso_out = perso_out.copy()


def apply_overrides(s: Scores, consequences: Mapping[str, Consequence]) -> None:
    """Phase 6: a "score réalisé" rule caps point_fait of a node and its subtree, then the node and
    its ancestors are recomputed from their children (quirks included, spec §2.4)."""
    tree = s.tree
    m, pot, perso_out = s.matrix, s.point_potentiel, s.perso_out
    for action_id, consequence in consequences.items():
        i = tree.index.get(action_id)
        if i is None or consequence.score_formule is None or pot[i] == 0.0:
            continue
        original = m[i, FAIT] / pot[i]
        ratios = {}
        for ref in score_references(consequence.score_formule):
            j = tree.index.get(ref)
            if j is not None:
                ratios[ref] = float(m[j, FAIT] / pot[j]) if pot[j] != 0.0 else 0.0
        overridden = apply_score_formule(consequence.score_formule, ratios)
        if overridden is None or not original > 0:
            continue
        factor = overridden / original
        m[tree.subtree(i), FAIT] *= factor
        for a in tree.ancestors(i):
            kids = tree.children_array(a)[:, None]  # kids × 1: rows of sum_rows
            if not len(kids):  # a leaf: the sums of no children are 0
                perso_out[a] = pot[a] = 0.0
                m[a, OVERRIDE_COLUMNS] = 0.0
                continue
            own = perso_out[kids]
            # "perso or potentiel": a null (NaN) or zero perso falls back to the potentiel
            total_perso = sum_rows(np.where((own == own) & (own != 0), own, pot[kids]))[0]
            perso_out[a] = pot[a] = total_perso
            m[a, OVERRIDE_COLUMNS] = sum_rows(m[kids[:, 0]][:, OVERRIDE_COLUMNS])


def compute_renseigne(s: Scores) -> None:
    """Phase 7: a concerned, active node with points still without statut is not renseigné."""
    tree = s.tree
    parent_concerne = np.ones(tree.n + 1, dtype=np.bool_)
    parent_concerne[1 : tree.n] = s.concerne[tree.parent[1 : tree.n]]
    missing = ~s.desactive & s.concerne & parent_concerne & (s.matrix[:, NON_RENSEIGNE] > 0)
    s.renseigne = ~missing
