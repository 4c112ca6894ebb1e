"""Benchmark of the engine on the real référentiels (not a test: it prints figures).

    python bench/bench_engine.py --referentiels ../shared/referentiels [--yardstick FILE]

Every figure is a multiple of the yardstick (``../shared/bench/yardstick.py``, a fixed pure-Python
workload), measured in the same run: batches of the yardstick and of the measured code alternate, and
the ratio is the median, over the pairs, of the time of one call of the code over the time of one
yardstick run in the batch just before it. Milliseconds are printed too, but this machine is shared
and its speed moves from one minute to the next; the ratio is what holds. The official platform's
former Python engine takes 6.0-10.6× the yardstick (median about 8×) for one full CAE evaluation
building its result for every node, so "× faster than the official engine" is 8 / ratio (6 / ratio
to 10.6 / ratio).

State: a realistic collectivité — about half the tâches with a statut (fait, programmé, pas fait,
détaillé, a few non concerné), every question answered. Measured: loading the folder, the
personnalisation rules, ``jalon.evaluate`` through the public API (CAE+ECI, and CAE alone: the official
engine's figure is for one CAE evaluation), and per référentiel the core's full evaluation, the rounding
and output of every node, an in-process baseline (a plain per-node Python pass of the same phases), and
the incremental updates; then peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jalon
from jalon.evaluation import consequences_for, scoring_tree
from jalon.loading import load
from jalon.referentiel.model import Referentiels
from jalon.regles.consequences import Consequence
from jalon.scores.engine import compute_scores, statut_table
from jalon.scores.incremental import LiveScores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut

# The official engine's time for one full CAE evaluation, in yardsticks (measured side by side with
# it: 6.0-10.6, median about 8; see the yardstick's docstring).
OFFICIAL_CAE_YARDSTICKS = 8.0
OFFICIAL_CAE_YARDSTICKS_RANGE = (6.0, 10.6)
# Time of one batch of calls: long enough for the clock, short enough to alternate often.
BATCH_S = 0.02


def load_yardstick(path: Path) -> Callable[[], None]:
    """The yardstick's ``workload`` function, imported from its file (it is not part of this repository)."""
    spec = importlib.util.spec_from_file_location("yardstick", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no yardstick at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    workload: Callable[[], None] = module.workload
    return workload


@dataclasses.dataclass(frozen=True)
class Measure:
    ms: float  # median milliseconds of one call
    yardstick_ms: float  # median milliseconds of one yardstick run, alternated with it
    ratio: float  # median of the ratios of each call batch to the yardstick batch just before it


class Yardstick:
    def __init__(self, workload: Callable[[], None], rounds: int) -> None:
        self.workload = workload
        self.rounds = rounds
        self.all_ms: list[float] = []

    def _batch_ms(self, run: Callable[[], object], calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        return (time.perf_counter() - start) * 1000 / calls

    def _calls_per_batch(self, run: Callable[[], object]) -> int:
        start = time.perf_counter()
        run()
        once = time.perf_counter() - start
        return max(1, min(10_000, int(BATCH_S / max(once, 1e-7))))

    def measure(self, run: Callable[[], object], rounds: int | None = None) -> Measure:
        """Median ms of one call of ``run`` and of one yardstick run, their batches alternated."""
        calls = self._calls_per_batch(run)
        yardstick_calls = self._calls_per_batch(self.workload)
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(rounds or self.rounds):
            theirs.append(self._batch_ms(self.workload, yardstick_calls))
            mine.append(self._batch_ms(run, calls))
        self.all_ms.extend(theirs)
        # Pairs cancel the machine's slow swings; the median leaves out the batches a burst hit.
        ratio = statistics.median(m / t for m, t in zip(mine, theirs, strict=True))
        return Measure(statistics.median(mine), statistics.median(theirs), ratio)


def line(label: str, m: Measure, unit: str = "ms") -> str:
    shown = f"{m.ms * 1000:9.1f} µs" if unit == "µs" else f"{m.ms:9.3f} ms"
    return f"  {label:<44}{m.ratio:8.3f} ×  ({shown})"


def faster(m: Measure) -> str:
    low, high = (y / m.ratio for y in OFFICIAL_CAE_YARDSTICKS_RANGE)
    return f"{OFFICIAL_CAE_YARDSTICKS / m.ratio:.1f}× faster than the official engine ({low:.1f}-{high:.1f}×)"


_FIRST_LOAD = """
import importlib.util, statistics, sys, time
spec = importlib.util.spec_from_file_location("yardstick", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from jalon.loading import load
import jalon.referentiel.loader, jalon.regles.checker
before = []
for _ in range(10):
    start = time.perf_counter()
    module.workload()
    before.append(time.perf_counter() - start)
start = time.perf_counter()
load(sys.argv[1])
print((time.perf_counter() - start) * 1000, statistics.median(before) * 1000)
"""


def first_load_in_new_process(folder: Path, yardstick: Path) -> Measure:
    """The first load in a fresh interpreter (its imports done beforehand), against the yardstick run
    just before it in that interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_LOAD, str(folder), str(yardstick)],
        capture_output=True,
        text=True,
        check=True,
    )
    load_ms, yardstick_ms = (float(x) for x in result.stdout.split())
    return Measure(load_ms, yardstick_ms, load_ms / yardstick_ms)


def realistic_statuts(loaded: Referentiels, referentiel_id: str, rng: random.Random) -> dict[str, Statut]:
    referentiel = loaded.referentiels[referentiel_id]
    taches = [a.id for a in referentiel.actions.values() if a.is_leaf]
    choices = [FAIT, FAIT, PROGRAMME, PAS_FAIT, Statut.detaille(0.5, 0.3, 0.2), NON_CONCERNE]
    return {a: rng.choice(choices) for a in rng.sample(taches, len(taches) // 2)}


def all_answers(loaded: Referentiels, rng: random.Random) -> dict[str, str | float]:
    answers: dict[str, str | float] = {}
    for q in loaded.questions.values():
        if q.type == "binaire":
            answers[q.id] = rng.choice(["OUI", "NON"])
        elif q.type == "choix":
            answers[q.id] = rng.choice([c.id for c in q.choix])
        else:
            answers[q.id] = rng.choice([0.2, 0.5, 0.8])
    return answers


IDENTITE = {
    "type": frozenset({"EPCI"}),
    "population": frozenset({"plus_de_20000", "moins_de_50000", "moins_de_100000"}),
    "localisation": frozenset({"Metropole"}),
}


def scenario_statut(statut: Statut) -> Any:
    """A statut the way a scenario file writes it."""
    for name, value in (
        ("fait", FAIT),
        ("programme", PROGRAMME),
        ("pas_fait", PAS_FAIT),
        ("non_concerne", NON_CONCERNE),
    ):
        if statut == value:
            return name
    return [0.5, 0.3, 0.2]


def public_api(
    ys: Yardstick,
    loaded: Referentiels,
    statuts: dict[str, Statut],
    answers: dict[str, str | float],
    ids: list[str],
) -> None:
    """``jalon.evaluate`` on the référentiels ``ids`` (the scenario read, the rules run, every node's
    rounded scores built), as an application calling the public API would."""
    only = dataclasses.replace(loaded, referentiels={i: loaded.referentiels[i] for i in ids})
    scenario = {
        "Collectivité": {k: sorted(v) for k, v in IDENTITE.items()},
        "Réponses": answers,
        "Statuts": {a: scenario_statut(s) for a, s in statuts.items() if only.referentiel_of(a)},
    }
    jalon.evaluate(only, scenario)  # once, so that the scoring trees are built before timing
    cae_only = ids == ["cae"]
    m = ys.measure(lambda: jalon.evaluate(only, scenario))
    name = "+".join(i.upper() for i in ids)
    print(line(f"jalon.evaluate, {name}", m) + (f"  → {faster(m)}" if cae_only else ""))


def bench_referentiel(
    ys: Yardstick,
    loaded: Referentiels,
    referentiel_id: str,
    statuts: dict[str, Statut],
    consequences: dict[str, Consequence],
    answers: dict[str, str | float],
    rng: random.Random,
) -> None:
    tree = scoring_tree(loaded.referentiels[referentiel_id])
    own: dict[str, Consequence] = {k: v for k, v in consequences.items() if k.split("_")[0] == referentiel_id}
    table = statut_table(tree, statuts)
    print(f"\n{referentiel_id}: {tree.n} nodes, {len(statuts)} statuts, {len(own)} consequences")
    full = ys.measure(lambda: compute_scores(tree, table, own))
    print(line("full evaluation (statuts as arrays)", full))
    print(line("full evaluation (from a dict)", ys.measure(lambda: compute_scores(tree, statuts, own))))
    scores = compute_scores(tree, table, own)
    print(line("rounding + output dict of every node", ys.measure(scores.as_dict)))
    with_output = ys.measure(lambda: compute_scores(tree, statuts, own).as_dict())
    print(line("full evaluation + output, from a dict", with_output))

    live = LiveScores(tree, statuts, own)
    baseline = ys.measure(live.recompute_all)
    slower = baseline.ratio / full.ratio
    print(line("baseline, per-node Python pass", baseline) + f"  ({slower:.1f}× the core)")

    taches = [a for a in tree.ids if not tree.children[tree.index[a]]]
    targets = [rng.choice(taches) for _ in range(1000)]
    counter = iter(range(10**9))

    def change_avancement() -> None:
        i = next(counter)
        live.set_statut(targets[i % 1000], (FAIT, PROGRAMME, PAS_FAIT)[i % 3])

    def change_concerne() -> None:
        i = next(counter)
        live.set_statut(targets[i % 1000], (FAIT, NON_CONCERNE)[i % 2])

    avancement = ys.measure(change_avancement)
    print(line("incremental, avancement change", avancement, "µs"))
    print(line("incremental, concerné change", ys.measure(change_concerne), "µs"))
    other = all_answers(loaded, rng)
    flips = [consequences_for(loaded, IDENTITE, answers), consequences_for(loaded, IDENTITE, other)]
    flips = [{k: v for k, v in c.items() if k.split("_")[0] == referentiel_id} for c in flips]

    def change_answers() -> None:
        live.set_consequences(flips[next(counter) % 2])

    print(line("incremental, new set of answers (no rules)", ys.measure(change_answers)))
    if referentiel_id == "cae":
        print(f"  core, full evaluation + output: {faster(with_output)}")
        print(f"  core, incremental avancement change: {faster(avancement)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referentiels", type=Path, default=Path("../shared/referentiels"))
    parser.add_argument("--yardstick", type=Path, default=None, help="default: beside the référentiels")
    parser.add_argument("--rounds", type=int, default=21, help="alternated batches per figure")
    args = parser.parse_args()
    yardstick_path = args.yardstick or args.referentiels.resolve().parent / "bench" / "yardstick.py"
    ys = Yardstick(load_yardstick(yardstick_path), args.rounds)
    rng = random.Random(2026)
    print(
        f"Figures in yardsticks (× {yardstick_path}), each measured alternated with it; "
        "milliseconds in brackets (noisy)."
    )

    first = [first_load_in_new_process(args.referentiels, yardstick_path) for _ in range(3)]
    first_load = Measure(
        statistics.median(m.ms for m in first),
        statistics.median(m.yardstick_ms for m in first),
        statistics.median(m.ratio for m in first),
    )
    loaded = load(args.referentiels)
    print(line("load référentiel folder, first in a process", first_load))
    print(line("load référentiel folder, again", ys.measure(lambda: load(args.referentiels), 7)))

    answers = all_answers(loaded, rng)
    consequences = consequences_for(loaded, IDENTITE, answers)
    rules = ys.measure(lambda: consequences_for(loaded, IDENTITE, answers))
    print(line(f"personnalisation rules ({len(loaded.personnalisations)})", rules))

    statuts = {rid: realistic_statuts(loaded, rid, rng) for rid in loaded.referentiels}
    every_statut = {a: s for by_referentiel in statuts.values() for a, s in by_referentiel.items()}
    print("\npublic API (scenario read, rules, every node's rounded scores):")
    public_api(ys, loaded, every_statut, answers, list(loaded.referentiels))
    if "cae" in loaded.referentiels and len(loaded.referentiels) > 1:
        public_api(ys, loaded, every_statut, answers, ["cae"])

    for referentiel_id in loaded.referentiels:
        bench_referentiel(ys, loaded, referentiel_id, statuts[referentiel_id], consequences, answers, rng)

    gc.collect()
    tracemalloc.start()
    loaded = load(args.referentiels)
    trees = [scoring_tree(r) for r in loaded.referentiels.values()]
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\nmemory: all référentiels and their trees {current / 2**20:.1f} MB held, "
        f"{peak / 2**20:.1f} MB peak while loading"
    )
    del trees
    all_ms = ys.all_ms
    print(
        f"yardstick over the run: median {statistics.median(all_ms):.3f} ms, "
        f"min {min(all_ms):.3f}, max {max(all_ms):.3f} ({len(all_ms)} batches)"
    )


if __name__ == "__main__":
    main()
