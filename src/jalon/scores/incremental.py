"""Incremental scores: change one statut or the consequences, recompute only what depends on it.

A full evaluation (``engine.compute_scores``) is the starting point; its arrays are turned into
Python lists, which are fast to read and write one element at a time. A change is then propagated
with the same operations, in the same order, as the full evaluation, so the numbers are identical:

* a statut that changes only the avancement (fait → programmé…) changes no potentiel: the node is
  re-scored and so are its ancestors, up to the first one scored from its own statut;
* a statut that changes whether a node is concerned changes potentiels, but only within its mesure
  (redistribution and rescaling stop at the mesure level) and along the mesure's ancestors;
* a changed consequence (after a new answer) does the same for the mesures it touches.

Then the score overrides (phase 6) are re-applied from the phase-5 values, and ``renseigne`` is
recomputed where it may have changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from jalon.regles.consequences import Consequence, apply_score_formule, score_references
from jalon.scores.engine import (
    COMPLETED,
    FAIT,
    FAIT_AV,
    N_COLUMNS,
    NON_RENSEIGNE,
    OVERRIDE_COLUMNS,
    PAS_CONCERNE_AV,
    TOTAL,
    Scores,
    ScoreValue,
    compute_scores,
)
from jalon.scores.statuts import Statut
from jalon.scores.tree import BoolArray, FloatArray, ScoringTree


class LiveScores:
    """The scores of one référentiel for one collectivité, kept up to date change by change."""

    def __init__(
        self,
        tree: ScoringTree,
        statuts: Mapping[str, Statut] | None = None,
        consequences: Mapping[str, Consequence] | None = None,
    ) -> None:
        self.tree = tree
        self.statuts: dict[str, Statut] = {k: v for k, v in (statuts or {}).items() if k in tree.index}
        self.consequences: dict[str, Consequence] = {
            k: v for k, v in (consequences or {}).items() if k in tree.index
        }
        t = tree
        self._children = t.children
        self._parent = t.parent_list
        # The tree's structure as lists, shared by every LiveScores of the tree (read only).
        self._depth = t.depth_list
        self._leaf = [not c for c in t.children]
        self._leaf_count = t.leaf_count_list
        self._points = t.points_list
        self._mesure = t.mesure_list
        self._reload(compute_scores(tree, self.statuts, self.consequences))

    # -- state ---------------------------------------------------------------------------------

    def _reload(self, s: Scores) -> None:
        n = self.tree.n
        self._perso = s.perso[:n].tolist()
        self._desactive = s.desactive[:n].tolist()
        self._nc = s.non_concerne[:n].tolist()
        self._explicit = s.explicit_concerne[:n].tolist()
        self._statut_nc = [False] * n
        self._avancement: list[tuple[float, float, float] | None] = [None] * n
        for action_id, statut in self.statuts.items():
            i = self.tree.index[action_id]
            self._statut_nc[i] = not statut.concerne
            if statut.concerne and statut.avancement is not None:
                self._avancement[i] = statut.avancement
        self._has_consequence = s.has_consequence[:n].tolist()
        self._pot = s.potentiel[:n].tolist()
        self._base = [s.matrix_base[:n, c].tolist() for c in range(N_COLUMNS)]
        # Phase 6 only rewrites the override columns: the others are shared with the phase-5 lists.
        self._final = [
            s.matrix[:n, c].tolist() if c in OVERRIDE_COLUMNS else self._base[c] for c in range(N_COLUMNS)
        ]
        self._concerne_changed: set[int] = set()
        self._pp_base = s.point_potentiel_base[:n].tolist()
        self._pp = s.point_potentiel[:n].tolist()
        self._po_base = [None if p != p else p for p in s.perso_out_base[:n].tolist()]
        self._po = [None if p != p else p for p in s.perso_out[:n].tolist()]
        self._concerne = s.concerne[:n].tolist()
        self._renseigne = s.renseigne[:n].tolist()
        self._override_region = self._compute_override_region()
        self._changed: set[int] = set(range(n))
        self._reported: dict[str, dict[str, ScoreValue]] = {}

    def _compute_override_region(self) -> list[int]:
        region: set[int] = set()
        for action_id, consequence in self.consequences.items():
            if consequence.score_formule is not None:
                i = self.tree.index[action_id]
                region.update(int(x) for x in self.tree.subtree(i))
                region.update(self.tree.ancestors(i))
        return sorted(region)

    # -- changes -------------------------------------------------------------------------------

    def set_statut(self, action_id: str, statut: Statut | None) -> None:
        """Set (or with None, remove) the statut of one action and update the scores."""
        i = self.tree.index.get(action_id)
        if i is None:
            raise KeyError(f"unknown action {action_id!r} in référentiel {self.tree.referentiel!r}")
        if statut is None:
            self.statuts.pop(action_id, None)
        else:
            self.statuts[action_id] = statut
        explicit = statut is not None and statut.concerne
        statut_nc = statut is not None and not statut.concerne
        avancement = statut.avancement if statut is not None and statut.concerne else None
        concern_changed = explicit != self._explicit[i] or statut_nc != self._statut_nc[i]
        self._explicit[i], self._statut_nc[i], self._avancement[i] = explicit, statut_nc, avancement
        mesure = self._mesure[i]
        if concern_changed and mesure < 0:
            # Above the mesure level a change may reach every mesure: start again from scratch.
            self._reload(compute_scores(self.tree, self.statuts, self.consequences))
            return
        if concern_changed:
            dirty = self._recompute_mesures([mesure])
        else:
            dirty = self._rescore_upwards(i)
        self._finish(dirty)

    def recompute_all(self) -> None:
        """Recompute every mesure and every node above, node by node (phases 2-7).

        Gives the same numbers as a full evaluation; the benchmark uses it as a per-node baseline.
        """
        level = self.tree.action_level
        mesures = [i for i in range(self.tree.n) if self._depth[i] == level]
        self._finish(self._recompute_mesures(mesures))

    def set_consequences(self, consequences: Mapping[str, Consequence]) -> None:
        """Replace the consequences (after an answer changed) and update what they touch."""
        new = {k: v for k, v in consequences.items() if k in self.tree.index}
        old = self.consequences
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        if [k for k in old if k in new] != [k for k in new if k in old]:
            changed = set(old) | set(new)  # order of application changed: everything may differ
        self.consequences = new
        if not changed:
            return
        index = self.tree.index
        level = self.tree.action_level
        if any(self._depth[index[k]] < level for k in changed):
            self._reload(compute_scores(self.tree, self.statuts, self.consequences))
            return
        factors = [(index[k], c.potentiel_perso) for k, c in new.items() if c.potentiel_perso is not None]
        off = [index[k] for k, c in new.items() if c.desactive]
        mesures: set[int] = set()
        for k in changed:
            c = index[k]
            self._has_consequence[c] = k in new
            mesures.add(self._mesure[c])
            for x in self.tree.subtree(c).tolist():
                ancestry = set(self.tree.ancestors(x))
                p = self._points[x]
                for a, factor in factors:
                    if a in ancestry:
                        p *= float(factor)
                self._perso[x] = p
                self._desactive[x] = any(a in ancestry for a in off)
        self._override_region = self._compute_override_region()
        self._finish(self._recompute_mesures(sorted(mesures)))

    # -- phases, node by node ------------------------------------------------------------------

    def _recompute_mesures(self, mesures: Iterable[int]) -> set[int]:
        """Phases 2-5 for whole mesures, then along their ancestors; returns the nodes touched."""
        dirty: set[int] = set()
        ancestors: set[int] = set()
        for m in mesures:
            nodes = self.tree.subtree(m).tolist()  # forward order: parents before children
            dirty.update(nodes)
            for x in reversed(nodes):
                self._update_nc(x)
            for x in reversed(nodes):
                self._update_potentiel(x)
            for x in nodes:
                self._rescale_children(x)
            for x in reversed(nodes):
                self._score(x)
            ancestors.update(self.tree.ancestors(m)[1:])
        upper = sorted(ancestors, key=lambda a: -self._depth[a])  # deepest first
        for a in upper:
            self._update_nc(a)
        for a in upper:
            self._update_potentiel(a)
        for a in upper:
            self._score(a)
        dirty.update(upper)
        return dirty

    def _rescore_upwards(self, i: int) -> set[int]:
        dirty = {i}
        self._score(i)
        a = self._parent[i]
        while a >= 0:
            if self._from_statut(a):
                break  # scored from its own statut: its children do not count
            self._score(a)
            dirty.add(a)
            a = self._parent[a]
        return dirty

    def _update_nc(self, x: int) -> None:
        kids = self._children[x]
        nc = self._statut_nc[x] or self._desactive[x]
        if not nc and not self._explicit[x] and kids:
            nc = all(self._nc[c] for c in kids)
        self._nc[x] = nc

    def _update_potentiel(self, x: int) -> None:
        if self._nc[x]:
            pot = 0.0
        elif self._explicit[x] or self._leaf[x]:
            pot = self._perso[x]
        else:
            pot = 0.0
            for c in self._children[x]:
                pot = pot + self._pot[c]
        if self._depth[x] > self.tree.action_level:
            siblings = self._children[self._parent[x]]
            nc = self._nc
            n_nc = sum(1 for s in siblings if nc[s])
            if 0 < n_nc < len(siblings) and not nc[x] and self._perso[x] != 0:
                pool = 0.0
                for s in siblings:
                    if nc[s]:
                        pool = pool + self._perso[s]
                n_recipients = sum(1 for s in siblings if not nc[s] and self._perso[s] != 0)
                pot = pot + pool / n_recipients
        self._pot[x] = pot

    def _rescale_children(self, p: int) -> None:
        if self._pot[p] == self._perso[p] or self._leaf[p]:
            return
        parent_perso, parent_pot = self._perso[p], self._pot[p]
        for c in self._children[p]:
            self._pot[c] = self._pot[c] / parent_perso * parent_pot if parent_perso != 0 else 0.0

    def _from_statut(self, x: int) -> bool:
        return self._leaf[x] or self._avancement[x] is not None or self._nc[x]

    def _score(self, x: int) -> None:
        base = self._base
        pot = self._pot[x]
        if self._from_statut(x):
            n = self._leaf_count[x]
            av = self._avancement[x]
            if self._nc[x]:
                row = [0.0, 0.0, 0.0, pot, n, n, 0.0, 0.0, 0.0, n]
            elif av is not None:
                f, p, pf = av
                row = [pot * f, pot * p, pot * pf, 0.0, n, n, f * n, p * n, pf * n, 0.0]
            else:
                row = [0.0, 0.0, 0.0, pot, n, 0.0, 0.0, 0.0, 0.0, 0.0]
            for column in range(N_COLUMNS):
                base[column][x] = row[column]
            concerne = not self._nc[x]
        else:
            kids = self._children[x]
            for column in range(N_COLUMNS):
                values = base[column]
                total = 0.0
                for c in kids:
                    total = total + values[c]
                base[column][x] = total
            concerne = any(self._concerne[c] for c in kids)
        if concerne != self._concerne[x]:
            self._concerne[x] = concerne
            self._concerne_changed.add(x)
        self._pp_base[x] = pot
        self._po_base[x] = self._perso[x] if self._has_consequence[x] and not self._desactive[x] else None

    def _finish(self, dirty: set[int]) -> None:
        """Phase 6 (overrides) from the phase-5 values, then phase 7 where it may have changed."""
        touched = dirty.union(self._override_region)
        base, final = self._base, self._final
        for column in OVERRIDE_COLUMNS:
            base_column, final_column = base[column], final[column]
            for x in touched:
                final_column[x] = base_column[x]
        for x in touched:
            self._pp[x] = self._pp_base[x]
            self._po[x] = self._po_base[x]
        self._apply_overrides()
        # renseigne reads the node's own fields and its parent's concerne
        renseigne_nodes = set(touched)
        for x in self._concerne_changed:
            renseigne_nodes.update(self._children[x])
        self._concerne_changed.clear()
        self._changed.update(renseigne_nodes)
        nr = final[NON_RENSEIGNE]
        for x in renseigne_nodes:
            p = self._parent[x]
            parent_concerne = p < 0 or self._concerne[p]
            self._renseigne[x] = not (
                not self._desactive[x] and self._concerne[x] and parent_concerne and nr[x] > 0
            )

    def _apply_overrides(self) -> None:
        fait = self._final[FAIT]
        pp, po = self._pp, self._po
        for action_id, consequence in self.consequences.items():
            formule = consequence.score_formule
            i = self.tree.index[action_id]
            if formule is None or pp[i] == 0.0:
                continue
            original = fait[i] / pp[i]
            ratios: dict[str, float | None] = {}
            for ref in score_references(formule):
                j = self.tree.index.get(ref)
                if j is not None:
                    ratios[ref] = fait[j] / pp[j] if pp[j] != 0.0 else 0.0
            overridden = apply_score_formule(formule, ratios)
            if overridden is None or not original > 0:
                continue
            factor = overridden / original
            for x in self.tree.subtree(i).tolist():
                fait[x] = fait[x] * factor
            for a in self.tree.ancestors(i):
                total_perso = 0.0
                sums = [0.0] * len(OVERRIDE_COLUMNS)
                for c in self._children[a]:
                    p = po[c]
                    total_perso += p if p else pp[c]
                    for k, column in enumerate(OVERRIDE_COLUMNS):
                        sums[k] += self._final[column][c]
                po[a] = total_perso
                pp[a] = total_perso
                for k, column in enumerate(OVERRIDE_COLUMNS):
                    self._final[column][a] = sums[k]

    # -- reading -------------------------------------------------------------------------------

    def take_changed(self) -> list[str]:
        """Ids of the nodes whose scores may have changed since the last call (all of them at first).

        A store of the scores can then rewrite only those nodes: every other node's ``score()`` is
        the same as before (a property test pins it).
        """
        ids = self.tree.ids
        changed = [ids[i] for i in sorted(self._changed)]
        self._changed.clear()
        return changed

    def as_dict(self) -> dict[str, dict[str, ScoreValue]]:
        """Rounded scores of every node, exactly as ``Scores.as_dict`` gives them."""
        return self.snapshot().as_dict()

    def take_changed_scores(self) -> dict[str, dict[str, ScoreValue]]:
        """The rounded scores that differ from what this method last returned (every node at first):
        what a store of the scores must rewrite."""
        out: dict[str, dict[str, ScoreValue]] = {}
        for action_id in self.take_changed():
            score = self.score(action_id)
            if self._reported.get(action_id) != score:
                self._reported[action_id] = score
                out[action_id] = score
        return out

    def assume_reported(self, scores: Mapping[str, Mapping[str, ScoreValue]]) -> None:
        """Take ``scores`` (e.g. those a store holds) as what ``take_changed_scores`` last returned,
        so that its next call returns only the nodes whose scores differ from them."""
        self._reported = {k: dict(v) for k, v in scores.items()}
        self._changed = set(range(self.tree.n))

    def forget_reported(self, action_ids: Iterable[str]) -> None:
        """Forget what was last reported for these nodes: ``take_changed_scores`` will return them
        whatever their scores (for a store that may hold other values than this object reported)."""
        index = self.tree.index
        for action_id in action_ids:
            self._reported.pop(action_id, None)
            self._changed.add(index[action_id])

    def snapshot(self) -> Scores:
        """The current state as a ``Scores`` (arrays), e.g. to round and export it."""
        t = self.tree
        n = t.n

        def array(values: list[float]) -> FloatArray:
            a = np.zeros(n + 1)
            a[:n] = values
            return a

        def optional(values: list[float | None]) -> FloatArray:
            return array([np.nan if v is None else v for v in values])

        def flags(values: list[bool]) -> BoolArray:
            a = np.zeros(n + 1, dtype=np.bool_)
            a[:n] = values
            return a

        matrix = np.zeros((n + 1, N_COLUMNS))
        matrix[:n] = np.array(self._final).T
        return Scores(
            tree=t,
            perso=array(self._perso),
            desactive=flags(self._desactive),
            non_concerne=flags(self._nc),
            explicit_concerne=flags(self._explicit),
            avancement=np.full((n + 1, 3), np.nan),
            has_consequence=flags(self._has_consequence),
            potentiel=array(self._pot),
            matrix_base=matrix,
            point_potentiel_base=array(self._pp_base),
            perso_out_base=optional(self._po_base),
            matrix=matrix,
            point_potentiel=array(self._pp),
            perso_out=optional(self._po),
            concerne=flags(self._concerne),
            renseigne=flags(self._renseigne),
        )

    def desactive(self, action_id: str) -> bool:
        """Whether the personnalisation désactive a node (without building its whole score)."""
        return bool(self._desactive[self.tree.index[action_id]])

    def score(self, action_id: str) -> dict[str, ScoreValue]:
        """Rounded score of one node."""
        i = self.tree.index[action_id]
        f = self._final
        po = self._po[i]
        return {
            "point_referentiel": round(self._points[i], 3),
            "point_potentiel": round(self._pp[i], 3),
            "point_potentiel_perso": (round(po, 3) if po else po),
            "point_fait": round(f[FAIT][i], 3),
            "point_programme": round(f[FAIT + 1][i], 3),
            "point_pas_fait": round(f[FAIT + 2][i], 3),
            "point_non_renseigne": round(f[NON_RENSEIGNE][i], 3),
            "concerne": self._concerne[i],
            "desactive": self._desactive[i],
            "renseigne": self._renseigne[i],
            "total_taches_count": int(f[TOTAL][i]),
            "completed_taches_count": int(f[COMPLETED][i]),
            "fait_taches_avancement": f[FAIT_AV][i],
            "programme_taches_avancement": f[FAIT_AV + 1][i],
            "pas_fait_taches_avancement": f[FAIT_AV + 2][i],
            "pas_concerne_taches_avancement": int(f[PAS_CONCERNE_AV][i]),
        }
