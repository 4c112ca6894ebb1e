"""Benchmark of the engine on the real référentiels (not a test: it prints figures).

    python bench/bench_engine.py --referentiels ../shared/referentiels

State: a realistic collectivité — about half the tâches with a statut (fait, programmé, pas fait,
détaillé, a few non concerné), every question answered. Reported: median times of loading the
folder, of a full evaluation of CAE and ECI, of one incremental statut change and one answer
change, and peak memory. The baseline, run in the same process, is a plain per-node Python pass of
the same phases (the incremental engine recomputing every mesure), so the ratio says what the
array layout buys on this machine; the official engine's own figure (74 ms for CAE, spec §6) is
quoted for comparison, not run here.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from jalon.evaluation import consequences_for, scoring_tree
from jalon.loading import load
from jalon.referentiel.model import Referentiels
from jalon.regles.consequences import Consequence
from jalon.scores.engine import compute_scores, statut_table
from jalon.scores.incremental import LiveScores
from jalon.scores.statuts import FAIT, NON_CONCERNE, PAS_FAIT, PROGRAMME, Statut

OFFICIAL_CAE_MS = 74.0  # median per CAE evaluation of the official engine on a 2-core machine (spec §6)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _first_load_in_new_process(folder: Path) -> float:
    """Milliseconds of the first load in a fresh interpreter, its imports done beforehand."""
    code = (
        "import time, sys\n"
        "from jalon.loading import load\n"
        "import jalon.referentiel.loader, jalon.regles.checker\n"
        "start = time.perf_counter()\n"
        f"load({str(folder)!r})\n"
        "print((time.perf_counter() - start) * 1000)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


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


def bench_referentiel(
    loaded: Referentiels,
    referentiel_id: str,
    consequences: dict[str, Consequence],
    answers: dict[str, str | float],
    rng: random.Random,
    repeat: int,
) -> None:
    tree = scoring_tree(loaded.referentiels[referentiel_id])
    statuts = realistic_statuts(loaded, referentiel_id, rng)
    own: dict[str, Consequence] = {k: v for k, v in consequences.items() if k.split("_")[0] == referentiel_id}
    table = statut_table(tree, statuts)
    full = median_ms(lambda: compute_scores(tree, table, own), repeat)
    with_conversion = median_ms(lambda: compute_scores(tree, statuts, own), repeat)
    scores = compute_scores(tree, table, own)
    rounded = median_ms(scores.as_dict, repeat // 3)

    live = LiveScores(tree, statuts, own)
    baseline = median_ms(live.recompute_all, 30)

    taches = [a for a in tree.ids if not tree.children[tree.index[a]]]
    targets = [rng.choice(taches) for _ in range(1000)]
    counter = iter(range(10**9))

    def change_avancement() -> None:
        i = next(counter)
        live.set_statut(targets[i % 1000], (FAIT, PROGRAMME, PAS_FAIT)[i % 3])

    def change_concerne() -> None:
        i = next(counter)
        live.set_statut(targets[i % 1000], (FAIT, NON_CONCERNE)[i % 2])

    avancement_ms = median_ms(change_avancement, 2000)
    concerne_ms = median_ms(change_concerne, 2000)
    other = all_answers(loaded, rng)
    flips = [consequences_for(loaded, IDENTITE, answers), consequences_for(loaded, IDENTITE, other)]
    flips = [{k: v for k, v in c.items() if k.split("_")[0] == referentiel_id} for c in flips]

    def change_answers() -> None:
        live.set_consequences(flips[next(counter) % 2])

    answers_ms = median_ms(change_answers, 100)

    print(f"\n{referentiel_id}: {tree.n} nodes, {len(statuts)} statuts, {len(own)} consequences")
    print(f"  full evaluation (statuts as arrays):   {full:.3f} ms")
    print(f"  full evaluation (from a dict):         {with_conversion:.3f} ms")
    print(f"  rounding + output dict of every node:  {rounded:.3f} ms")
    print(f"  baseline, per-node Python pass:        {baseline:.3f} ms  (ratio {baseline / full:.1f}x)")
    print(f"  incremental, avancement change:        {avancement_ms * 1000:.1f} µs")
    print(f"  incremental, concerné change:          {concerne_ms * 1000:.1f} µs")
    print(f"  incremental, new set of answers:       {answers_ms:.3f} ms (rules not included)")
    if referentiel_id == "cae":
        print(
            f"  vs official engine {OFFICIAL_CAE_MS:.0f} ms: full {OFFICIAL_CAE_MS / full:.0f}x, "
            f"incremental avancement {OFFICIAL_CAE_MS / avancement_ms:.0f}x, "
            f"concerné {OFFICIAL_CAE_MS / concerne_ms:.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referentiels", type=Path, default=Path("../shared/referentiels"))
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(2026)

    first_loads = [_first_load_in_new_process(args.referentiels) for _ in range(3)]
    loaded = load(args.referentiels)
    load_ms = median_ms(lambda: load(args.referentiels), 7)
    print(
        f"load référentiel folder: first in a new process {statistics.median(first_loads):.0f} ms "
        f"(after imports), then median {load_ms:.0f} ms"
    )

    answers = all_answers(loaded, rng)
    consequences = consequences_for(loaded, IDENTITE, answers)
    rules_ms = median_ms(lambda: consequences_for(loaded, IDENTITE, answers), args.repeat)
    print(f"personnalisation rules ({len(loaded.personnalisations)}): median {rules_ms:.3f} ms")

    for referentiel_id in loaded.referentiels:
        bench_referentiel(loaded, referentiel_id, consequences, answers, rng, args.repeat)

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


if __name__ == "__main__":
    main()
